"""What the provider gets is what the person saw: every edit sends the image as the library shows
it (EXIF orientation applied, HEIC decoded, transparency on white) at full size, the size the mask
was painted at, whatever the original file is."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from assets import services, storage
from assets.models import Asset
from assets.tests.factories import AssetFactory
from generation import edits
from generation import services as edit_services
from providers.models import ProviderCall
from tests.provider_fixtures import provider_fetch

# Stored sideways: 240 × 160 with EXIF orientation 6 ("rotate 90° clockwise to show"), so it is
# shown 160 × 240. The stored top-left block is red and the stored bottom-right block blue; shown,
# red is at the top right and blue at the bottom left.
STORED = (240, 160)
SHOWN = (160, 240)
RED, BLUE, GREY, WHITE = (230, 20, 20), (20, 20, 230), (128, 128, 128), (255, 255, 255)
SHOWN_RED_AT, SHOWN_BLUE_AT, SHOWN_GREY_AT = (120, 40), (40, 200), (40, 40)


def sideways(fmt: str) -> bytes:
    image = Image.new("RGB", STORED, GREY)
    image.paste(RED, (0, 0, 80, 80))
    image.paste(BLUE, (160, 80, 240, 160))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    if fmt == "HEIF":
        image.save(buffer, "HEIF", quality=90, exif=exif.tobytes())
    else:
        image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def transparent_png() -> bytes:
    """160 × 240, transparent except an opaque red top half; what hides under the transparency is black."""
    image = Image.new("RGBA", SHOWN, (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 0, 160, 120))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def mask_on_the_top_right() -> SimpleUploadedFile:
    """Painted in the browser on the image as shown (160 × 240): the top-right quarter."""
    mask = Image.new("L", SHOWN, 0)
    mask.paste(255, (80, 0, 160, 120))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    return SimpleUploadedFile("mask.png", buffer.getvalue(), content_type="image/png")


def close(pixel, colour, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def fetched_image(url: str) -> Image.Image:
    image = Image.open(io.BytesIO(provider_fetch(url)))
    assert image.format == "JPEG"
    return image.convert("RGB")


def assert_shown_the_right_way_up(image: Image.Image) -> None:
    assert image.size == SHOWN
    assert close(image.getpixel(SHOWN_RED_AT), RED)
    assert close(image.getpixel(SHOWN_BLUE_AT), BLUE)
    assert close(image.getpixel(SHOWN_GREY_AT), GREY)


@pytest.fixture(params=["JPEG", "HEIF"], ids=["exif-rotated-jpeg", "rotated-heic"])
def rotated(request, org):
    name = "sideways.heic" if request.param == "HEIF" else "sideways.jpg"
    data = sideways(request.param)
    asset = AssetFactory(org=org, filename=name, data=data)
    assert (asset.width, asset.height) == SHOWN
    asset.uploaded = data
    return asset


@pytest.mark.django_db
def test_an_inpaint_sends_the_image_as_shown_with_a_mask_of_its_exact_size(
    fal_emulator, rotated, org, people, fund, django_capture_on_commit_callbacks
):
    fund(20)
    with django_capture_on_commit_callbacks(execute=True):
        job = edits.inpaint_start(
            org=org, user=people.member, asset=rotated, prompt="a red balloon", mask=mask_on_the_top_right()
        )
    args = fal_emulator.last.arguments

    image = fetched_image(args["image_url"])
    mask = Image.open(io.BytesIO(provider_fetch(args["mask_url"])))
    assert mask.size == image.size == SHOWN
    assert_shown_the_right_way_up(image)
    # The painted quarter covers the red block, as the person saw it.
    assert mask.getpixel(SHOWN_RED_AT) == 255
    assert mask.getpixel(SHOWN_BLUE_AT) == mask.getpixel(SHOWN_GREY_AT) == 0
    # The original file stays as it was uploaded, sideways; the edit image is kept with the asset.
    with storage.storage().open(rotated.original_key, "rb") as fh:
        assert fh.read() == rotated.uploaded
    rotated.refresh_from_db()
    assert rotated.variants[services.EDIT_VARIANT] == storage.asset_key(org, rotated, "edit", "jpg")
    assert job.status == "queued"


@pytest.mark.django_db
def test_every_edit_of_a_sideways_photo_sends_it_the_right_way_up(
    fal_emulator, rotated, org, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    garment = AssetFactory(org=org, filename="jacket.jpg", size=(90, 120))
    with django_capture_on_commit_callbacks(execute=True):
        edits.clothes_start(org=org, user=people.member, asset=rotated, outfit="evening_gown")
    segment = fal_emulator.last.arguments
    with django_capture_on_commit_callbacks(execute=True):
        edits.clothes_start(org=org, user=people.member, asset=rotated, clothing=garment)
    tryon = fal_emulator.last.arguments
    with django_capture_on_commit_callbacks(execute=True):
        edit_services.upscale_start(org=org, user=people.member, asset=rotated, factor=2)
    upscale = fal_emulator.last.arguments

    for url in (segment["image_url"], tryon["model_image"], upscale["image_url"]):
        assert_shown_the_right_way_up(fetched_image(url))
    # Made once, on the first edit, and sent to every later one.
    with storage.storage().open(Asset.objects.get(pk=rotated.pk).variants["edit"], "rb") as fh:
        kept = fh.read()
    assert provider_fetch(segment["image_url"]) == provider_fetch(upscale["image_url"]) == kept


@pytest.mark.django_db
def test_transparency_is_sent_flattened_on_white(fal_emulator, org, people, fund, django_capture_on_commit_callbacks):
    fund(20)
    asset = AssetFactory(org=org, filename="cutout.png", data=transparent_png())
    with django_capture_on_commit_callbacks(execute=True):
        edits.inpaint_start(org=org, user=people.member, asset=asset, prompt="a hat", mask=mask_on_the_top_right())

    image = fetched_image(fal_emulator.last.arguments["image_url"])

    assert image.size == SHOWN
    assert close(image.getpixel((80, 60)), RED)
    assert close(image.getpixel((80, 180)), WHITE)  # not the black hidden under the transparency


@pytest.mark.django_db
def test_the_demo_provider_paints_the_image_as_shown(rotated, org, people, fund, django_capture_on_commit_callbacks):
    fund(20)
    with django_capture_on_commit_callbacks(execute=True):
        job = edits.inpaint_start(
            org=org, user=people.member, asset=rotated, prompt="a red balloon", mask=mask_on_the_top_right()
        )
    job.refresh_from_db()
    call = ProviderCall.objects.get(pk=job.call_id)

    assert call.provider == "demo"
    assert job.status == "succeeded", job.error
    assert (job.result.width, job.result.height) == SHOWN
    with storage.storage().open(job.result.original_key, "rb") as fh:
        result = Image.open(fh).convert("RGB")
    # Outside the mask, the DEMO band (at the bottom of the centred square, y 181–200, away from the
    # painted top right) and the corner label: untouched.
    assert close(result.getpixel((40, 170)), BLUE, tolerance=20)
