"""The demo provider's training, face-reference and chat answers: real local work where it is
honest, labelled placeholders where a model would be needed."""

import io
import json
import struct
import zipfile

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from assets import storage
from providers.adapters import demo
from providers.adapters.base import ProviderError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _store(name: str, data: bytes) -> str:
    return "storage:" + storage.storage().save(name, ContentFile(data))


def _jpeg(size=(600, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 150, 120)).save(out, "JPEG")
    return out.getvalue()


def test_training_reads_the_zip_and_returns_a_labelled_placeholder_lora():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(3):
            archive.writestr(f"{n + 1:02d}_closeup.jpg", _jpeg())
        archive.writestr("01_closeup.txt", "prsnab23 smiling")
    ref = _store("orgs/x/training/run.zip", buffer.getvalue())
    output = demo._work(
        "fal-ai/flux-lora-fast-training", "demo-1", {"images_data_url": ref, "trigger_word": "prsnab23", "steps": 10}
    )
    lora = output["diffusers_lora_file"]
    assert lora["file_name"] == "pytorch_lora_weights.safetensors"
    with storage.storage().open(lora["url"].removeprefix("storage:"), "rb") as fh:
        data = fh.read()
    (length,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(data[8 : 8 + length])["__metadata__"]
    assert metadata["personae_demo"] == "true"
    assert metadata["images"] == "3"
    assert "not a trained model" in metadata["note"]
    assert output["config_file"]["url"].startswith("data:application/json;base64,")


def test_the_z_image_trainer_reads_its_singular_zip_field_and_returns_a_placeholder_lora():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(4):
            archive.writestr(f"{n + 1:02d}_closeup.jpg", _jpeg())
    ref = _store("orgs/x/training/run.zip", buffer.getvalue())
    arguments = {"image_data_url": ref, "default_caption": "prsnab23 person", "steps": 10, "training_type": "content"}
    output = demo._work("fal-ai/z-image-trainer", "demo-z", arguments)
    with storage.storage().open(output["diffusers_lora_file"]["url"].removeprefix("storage:"), "rb") as fh:
        data = fh.read()
    (length,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(data[8 : 8 + length])["__metadata__"]
    assert (metadata["personae_demo"], metadata["images"]) == ("true", "4")


def test_a_z_image_draft_placeholder_names_the_model_its_steps_and_loras():
    arguments = {"num_inference_steps": 8, "loras": [{"path": "storage:a"}, {"path": "https://x/look.safetensors"}]}
    assert (
        demo._recipe_label("fal-ai/z-image/turbo/lora", arguments)
        == "Demo · Z-Image Turbo · 8 steps · 2 LoRAs · not AI"
    )
    output = demo._work("fal-ai/z-image/turbo/lora", "demo-d", {"prompt": "prsnab23, a portrait", **arguments})
    assert output["images"][0]["url"].startswith("storage:demo/")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a zip", "readable zip"), (None, "no images")],
)
def test_training_refuses_a_zip_it_cant_use(content, message):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("notes.txt", "hello")
        content = buffer.getvalue()
    ref = _store("orgs/x/training/bad.zip", content)
    with pytest.raises(ProviderError, match=message):
        demo._work("fal-ai/flux-lora-fast-training", "demo-2", {"images_data_url": ref})


def test_face_reference_returns_the_reference_recropped_and_labelled():
    ref = _store("orgs/x/assets/a/preview.jpg", _jpeg((900, 1200)))
    output = demo._work(
        "fal-ai/flux-pulid",
        "demo-3",
        {"reference_image_url": ref, "image_size": "portrait_4_3", "seed": 3, "prompt": "Profile. Photo of a woman"},
    )
    image = output["images"][0]
    assert (image["width"], image["height"]) == (768, 1024)
    assert output["seed"] == 3


def test_chat_answers_at_once_with_a_labelled_placeholder():
    submitted = demo.DemoAdapter().submit(
        endpoint_id="grok-4-1-fast-non-reasoning",
        arguments={"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
        webhook_url=None,
    )
    assert submitted.immediate.state == "succeeded"
    assert "demo caption" in submitted.immediate.output["text"]
    plain = demo.DemoAdapter().submit(
        endpoint_id="grok-4-1-fast-non-reasoning",
        arguments={"messages": [{"role": "user", "content": "hi"}]},
        webhook_url=None,
    )
    assert "placeholder" in plain.immediate.output["text"]


def test_labels_and_prompts_fit_the_image_however_long_they_are():
    from PIL import ImageDraw

    image = Image.new("RGB", (320, 480))
    draw = ImageDraw.Draw(image)
    font = demo._font(14)
    prompt = "Photo of a 29-year-old woman with auburn hair, wearing a white t-shirt and jeans, " * 3
    cut = demo._lines(draw, prompt, font, 300, 1)[0]
    assert cut.endswith(" …")
    assert draw.textlength(cut, font=font) <= 300
    assert prompt.startswith(cut.removesuffix(" …"))  # cut at a word, nothing rewritten
    assert demo._lines(draw, "Demo · not AI", font, 300, 1) == ["Demo · not AI"]
    two = demo._lines(draw, prompt, font, 300, 2)
    assert len(two) == 2
    assert two[1].endswith(" …")
    assert all(draw.textlength(line, font=font) <= 300 for line in two)
    assert prompt.startswith(" ".join([*two[:1], two[1].removesuffix(" …")]))  # wrapped at words
    # The placeholder draws the long prompt inside its frame: the left and right edge columns stay
    # the background gradient (text would put white pixels there), and so does the bottom fifth,
    # where a Studio tile shows its likeness badge over the image.
    rendered = demo.placeholder(320, 480, title="Demo render", detail=prompt)
    for x in (0, 1, 318, 319):
        column = [rendered.getpixel((x, y)) for y in range(480)]
        assert all(pixel != (255, 255, 255) and min(pixel) < 200 for pixel in column)
    bottom = [rendered.getpixel((x, y)) for x in range(320) for y in range(384, 480)]
    assert all(min(pixel) < 200 for pixel in bottom)
    # ... and the prompt is there: its two lines put white text under the title.
    middle = [rendered.getpixel((x, y)) for x in range(320) for y in range(240, 384)]
    assert sum(min(pixel) >= 200 for pixel in middle) > 200
