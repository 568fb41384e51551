"""The demo provider's Studio renders draw the recipe they were asked for, with the character's
face, and say DEMO legibly even as a grid thumbnail."""

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageOps

from assets import storage
from providers.adapters import demo, demo_render

pytestmark = pytest.mark.django_db

STUDIO_PROMPT = (
    "prsnab23, Photo of a 27 year old woman with long wavy auburn hair, wearing a light floral summer dress, "
    "on a sunny beach, ocean in background, golden hour lighting, beach lifestyle, relaxed pose, summer vibes, "
    "professional photography, high quality, detailed"
)
FACE_GREEN = (0, 255, 0)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _store(name: str, data: bytes) -> str:
    return "storage:" + storage.storage().save(name, ContentFile(data))


def _jpeg(colour=FACE_GREEN, size=(300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=95)
    return out.getvalue()


def _open(ref: str) -> Image.Image:
    with storage.storage().open(ref.removeprefix("storage:"), "rb") as fh:
        image = Image.open(fh)
        image.load()
    return image.convert("RGB")


def _green_pixels(image: Image.Image) -> int:
    return sum(1 for r, g, b in image.getdata() if g > 200 and r < 60 and b < 60)


def test_it_reads_the_studio_recipe_from_the_prompt():
    recipe = demo_render.recipe_from_prompt(STUDIO_PROMPT)
    assert recipe.scene == "Beach day"
    assert recipe.environment_label == "Beach"
    assert recipe.outfit == "a light floral summer dress"
    assert recipe.framing == demo_render.FULL
    office = demo_render.recipe_from_prompt(
        "woman, wearing a tailored business suit, in a professional office setting, clean modern workspace, "
        "beach lifestyle, relaxed pose"
    )
    assert (office.environment, office.scene) == ("office", "Beach day")  # a beach scene in an office
    assert demo_render.recipe_from_prompt("close-up, in a trendy cafe, candid moment").framing == demo_render.HEAD
    # Bare portraits are not Studio images: the wizard's candidates and the character sheet's angles.
    candidate = "woman, wearing a chunky knit sweater, head and shoulders portrait, neutral background, soft light"
    assert not demo_render.recipe_from_prompt(candidate).named
    assert demo_render.recipe_from_prompt(candidate).environment == "studio"  # still drawn as one when asked
    assert not demo_render.recipe_from_prompt("Profile. Photo of a 27 year old woman, wearing a coat").named


@pytest.mark.parametrize(
    ("size", "ratio"), [((768, 1360), "9:16"), ((1360, 768), "16:9"), ((1024, 1024), "1:1"), ((832, 1248), "2:3")]
)
def test_the_demo_label_is_legible_in_a_square_grid_thumbnail(size, ratio):
    image = demo_render.render(*size, prompt=STUDIO_PROMPT, model="FLUX.1 LoRA", face=Image.new("RGB", (50, 60)))
    assert demo_render.ratio_label(*size) == ratio
    # The library's 300 px thumbnail, shown in a 150 px square tile (object-fit: cover).
    thumb = image.copy()
    thumb.thumbnail((300, 300))
    tile = ImageOps.fit(thumb, (150, 150))
    band_rows = [
        y
        for y in range(150)
        if sum(
            1
            for x in range(150)
            if max(abs(a - b) for a, b in zip(tile.getpixel((x, y)), demo_render.BAND_COLOUR, strict=True)) < 30
        )
        > 40
    ]
    assert len(band_rows) >= 10, "the DEMO band is at least 10 px tall in the tile"
    text_rows = [y for y in band_rows if sum(1 for x in range(150) if min(tile.getpixel((x, y))) > 200) >= 3]
    assert len(text_rows) >= 6, "its white letters are at least 6 px tall in the tile"
    columns = [x for x in range(150) if any(min(tile.getpixel((x, y))) > 200 for y in text_rows)]
    assert max(columns) - min(columns) >= 60, "the words span most of the tile"


def test_it_composites_the_face_it_is_given():
    with_face = demo_render.render(
        768, 1024, prompt=STUDIO_PROMPT, model="FLUX", face=Image.new("RGB", (200, 260), FACE_GREEN)
    )
    without = demo_render.render(768, 1024, prompt=STUDIO_PROMPT, model="FLUX")
    assert _green_pixels(with_face) > 500
    assert _green_pixels(without) == 0


def test_the_recipe_card_wraps_every_line_inside_the_picture():
    image = Image.new("RGB", (320, 480))
    draw = ImageDraw.Draw(image)
    font = demo_render.font(14)
    long_outfit = "Outfit: a " + "verylongwordwithoutanyspaces" * 4 + " and a red scarf"
    lines = demo_render.wrap(draw, long_outfit, font, 280)
    assert len(lines) > 2
    assert all(draw.textlength(line, font=font) <= 280 for line in lines)
    assert "".join(lines).replace(" ", "") == long_outfit.replace(" ", "")  # nothing dropped
    recipe = demo_render.recipe_from_prompt(STUDIO_PROMPT)
    card = demo_render.card_lines(recipe, "Z-Image Turbo · 8 steps", (768, 1360), has_face=False)
    assert card[:5] == [
        "Scene: Beach day",
        "Setting: Beach",
        "Outfit: a light floral summer dress",
        "Framing: full body",
        "Ratio: 9:16 · 768 x 1360 px",
    ]
    assert "no face image sent" in card[5]


def test_a_demo_face_model_remembers_the_first_training_photo_and_its_renders_show_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("01_closeup.jpg", _jpeg(FACE_GREEN))
        archive.writestr("02_closeup.jpg", _jpeg((200, 30, 30)))
    zip_ref = _store("orgs/x/training/run.zip", buffer.getvalue())
    trained = demo._work(
        "fal-ai/flux-lora-fast-training", "demo-t", {"images_data_url": zip_ref, "trigger_word": "prsnab23"}
    )
    lora = trained["diffusers_lora_file"]["url"]
    assert demo_render.lora_face([{"path": lora, "scale": 1}]) is not None

    output = demo._work(
        "fal-ai/flux-lora",
        "demo-g",
        {
            "prompt": STUDIO_PROMPT,
            "loras": [{"path": lora, "scale": 1}],
            "image_size": {"width": 768, "height": 1360},
            "seed": 4,
        },
    )
    rendered = _open(output["images"][0]["url"])
    assert rendered.size == (768, 1360)
    assert _green_pixels(rendered) > 500
    # A real (remote) LoRA, or none, has no face to show.
    assert demo_render.lora_face([{"path": "https://example.test/look.safetensors"}]) is None
    assert demo_render.lora_face([]) is None


def test_face_swap_mode_draws_the_studio_recipe_with_the_base_image_face():
    ref = _store("orgs/x/assets/a/preview.jpg", _jpeg(FACE_GREEN, (600, 800)))
    output = demo._work(
        "fal-ai/flux-pulid",
        "demo-p",
        {"reference_image_url": ref, "prompt": STUDIO_PROMPT, "image_size": {"width": 1360, "height": 768}, "seed": 9},
    )
    rendered = _open(output["images"][0]["url"])
    assert rendered.size == (1360, 768)
    green = _green_pixels(rendered)
    assert 500 < green < rendered.width * rendered.height * 0.2  # a face on a figure, not a recrop of the photo


def test_every_studio_preset_is_recognised_and_sheet_angles_and_wizard_faces_are_not():
    from characters.wizard import PORTRAIT, SHEET_SHOTS
    from generation import presets

    for scene in presets.SCENES:
        assert demo_render.recipe_from_prompt(scene.prompt).scene == scene.label
    keys = {"home_bedroom": "bedroom", "home_living_room": "living_room", "urban_street": "street"}
    for environment in presets.ENVIRONMENTS:
        recipe = demo_render.recipe_from_prompt(environment.prompt)
        assert recipe.environment == keys.get(environment.key, environment.key)
        assert recipe.named
    # These keep the provider's face work (a recrop for the sheet check; a placeholder to choose from).
    assert not any(
        demo_render.recipe_from_prompt(f"{shot}. Photo of a woman, wearing a coat").named
        for _label, shot in SHEET_SHOTS
    )
    assert not demo_render.recipe_from_prompt(f"Photo of a woman, wearing a coat, {PORTRAIT}").named
