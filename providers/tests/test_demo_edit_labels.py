"""Demo edits (upscale, inpaint, clothes change, try-on, image-to-image) carry the same legible
"DEMO · not AI" band as the demo's Studio renders, and still show what was asked: the painted
mask, the outfit's words, the garment, the scale. The band keeps clear of the face, so likeness
can still be measured on a demo edit."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from assets import storage
from characters.tests import photos
from providers.adapters import demo, demo_render
from providers.tests import tiles

pytestmark = pytest.mark.django_db

GARMENT_RED = (220, 20, 20)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEMO_FACE_POOL = []


def _store(name: str, image: Image.Image, fmt: str = "JPEG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return "storage:" + storage.storage().save(name, ContentFile(buffer.getvalue()))


def _open(ref: str) -> Image.Image:
    with storage.storage().open(ref.removeprefix("storage:"), "rb") as fh:
        image = Image.open(fh)
        image.load()
    return image.convert("RGB")


def _mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> str:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return _store("orgs/x/masks/mask.png", mask, "PNG")


def _plain(size: tuple[int, int]) -> Image.Image:
    return Image.new("RGB", size, (90, 140, 90))


def _edit(kind: str, source: Image.Image) -> Image.Image:
    ref = _store("orgs/x/assets/a/original.jpg", source)
    width, height = source.size
    if kind == "upscale":
        output = demo._work("fal-ai/seedvr/upscale/image", "u", {"image_url": ref, "upscale_factor": 2})
        return _open(output["image"]["url"])
    if kind == "inpaint":
        mask = _mask(source.size, (width // 4, height // 2, width * 3 // 4, height * 9 // 10))
        arguments = {"image_url": ref, "mask_url": mask, "prompt": "a red scarf"}
        output = demo._work("fal-ai/flux-lora/inpainting", "i", arguments)
    elif kind == "clothes":  # described words: segment the clothes, then paint them
        segmented = demo._work("fal-ai/evf-sam", "s", {"image_url": ref, "prompt": "clothes"})
        arguments = {"image_url": ref, "mask_url": segmented["image"]["url"], "prompt": "jeans and a white tee"}
        output = demo._work("fal-ai/flux-lora/inpainting", "c", arguments)
    elif kind == "tryon":
        garment = _store("orgs/x/assets/g/original.jpg", Image.new("RGB", (300, 400), GARMENT_RED))
        output = demo._work("fal-ai/fashn/tryon/v1.6", "t", {"model_image": ref, "garment_image": garment})
    else:
        arguments = {"image_url": ref, "image_size": {"width": width, "height": height}, "seed": 1}
        output = demo._work("fal-ai/flux-lora/image-to-image", "r", arguments)
    return _open(output["images"][0]["url"])


KINDS = ["upscale", "inpaint", "clothes", "tryon", "image-to-image"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [(600, 800), (800, 450)])
def test_every_demo_edit_says_demo_legibly_in_a_grid_tile(kind, size):
    tiles.band_in_tile(_edit(kind, _plain(size)))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["person-a-1", "person-a-2"])
def test_the_band_keeps_clear_of_the_face(kind, name):
    source = photos.fixture(name)
    before = demo._face_box(source)
    assert before is not None
    result = _edit(kind, source)
    after = demo._face_box(result)
    assert after is not None, "the face is still found on the demo edit, so likeness can be measured"
    top = demo_render.band_box(*result.size)
    bottom = demo_render.band_box(*result.size, at_bottom=True)
    drawn = top if _is_band(result, top) else bottom
    assert _is_band(result, drawn)
    assert after[3] <= drawn[1] or after[1] >= drawn[3], "the band does not cross the face"


def _is_band(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """Whether the band's colour fills the left edge of ``box`` (where no letters are)."""
    x = 2
    rows = range(box[1] + 2, box[3] - 2)
    return all(
        max(abs(a - b) for a, b in zip(image.getpixel((x, y)), demo_render.BAND_COLOUR, strict=True)) < 30 for y in rows
    )


def test_an_upscale_is_the_scale_asked_for_and_the_picture_is_left_alone_outside_the_labels():
    source = Image.linear_gradient("L").convert("RGB").resize((400, 500))
    result = _edit("upscale", source)
    assert result.size == (800, 1000)
    expected = source.resize((800, 1000), Image.Resampling.LANCZOS)
    band = demo_render.band_box(
        *result.size, at_bottom=_is_band(result, demo_render.band_box(800, 1000, at_bottom=True))
    )
    middle = [(x, y) for x in range(100, 700, 37) for y in range(0, 1000, 41) if not band[1] - 5 <= y <= band[3] + 5]
    middle = [(x, y) for x, y in middle if y < 900]  # above the corner label
    assert all(
        max(abs(a - b) for a, b in zip(result.getpixel(p), expected.getpixel(p), strict=True)) < 12 for p in middle
    )


def test_an_inpaint_near_the_top_moves_the_band_to_the_bottom_so_the_fill_shows():
    source = _plain((600, 800))
    ref = _store("orgs/x/assets/a/original.jpg", source)
    box = (100, 120, 500, 360)  # the top of the centred square, where the band would go
    output = demo._work(
        "fal-ai/flux-lora/inpainting",
        "i",
        {"image_url": ref, "mask_url": _mask(source.size, box), "prompt": "a wide straw hat"},
    )
    result = _open(output["images"][0]["url"])
    bottom = demo_render.band_box(600, 800, at_bottom=True)
    assert _is_band(result, bottom)
    assert not _is_band(result, demo_render.band_box(600, 800))
    inside = [result.getpixel((x, y)) for x in range(120, 480, 20) for y in range(140, 340, 20)]
    assert sum(p != source.getpixel((0, 0)) for p in inside) > len(inside) * 0.9, "the masked area is painted"
    tiles.band_in_tile(result)


def test_a_try_on_shows_the_garment_clear_of_the_band():
    result = _edit("tryon", _plain((600, 800)))
    reds = [
        (x, y)
        for x in range(0, 600, 3)
        for y in range(0, 800, 3)
        if (lambda p: p[0] > 180 and p[1] < 70 and p[2] < 70)(result.getpixel((x, y)))
    ]
    assert len(reds) > 500, "the garment is shown"
    band = demo_render.band_box(600, 800)
    assert _is_band(result, band)
    assert all(y > band[3] for _x, y in reds), "the garment inset sits below the band"
