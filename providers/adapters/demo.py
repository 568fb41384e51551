"""The offline demo provider: answers every operation when no provider key is configured.

It goes through exactly the code path a real provider does (submit → queued → running →
finished → outputs copied into the library), and it does real local work where that is honest:
an upscale is a real Lanczos resize. Where the work would need a model (generating a picture),
it renders a clearly labelled placeholder. Every output says it is a demo render.

LoRA training (the FLUX trainer and the Z-Image one) is honest about what it can't do: it reads the
training zip for real, then returns a tiny valid ``.safetensors`` file whose metadata says it is a
placeholder, not a trained model (it keeps a thumbnail of the first training photo, the face its
renders paste in). A style recipe is measured from the image's pixels (``demo_style``). An image
for a Studio prompt draws the recipe it was asked for (``demo_render``: setting, outfit, framing,
ratio, the character's face, a "DEMO" band legible in thumbnails); a bare portrait prompt with no
face to show (the wizard's candidates) is a labelled placeholder naming the model, its steps and
the LoRAs it was sent. The face-reference endpoint (PuLID) draws a Studio prompt's recipe with the
reference face; for a character-sheet angle it returns the reference photo itself, recropped and
labelled, so the sheet check can run offline on a real face. Chat answers with a labelled placeholder.
Video (image → video, animate, video upscale) and the face swap are in ``demo_video``: real MP4s
made with ffmpeg, and a real paste of the face, all labelled. Image → 3D (TRELLIS) is in
``demo_mesh``: a real GLB, the image as a textured relief, labelled DEMO. Video matting is
``demo_matting``: background subtraction against the clip's median frame, no model.

``DEMO_PROVIDER_LATENCY`` sets how long a call takes and ``DEMO_PROVIDER_FAILURE_RATE`` what
share of calls fail, to try out progress and failure handling.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import logging
import random
import re
import struct
import time
import uuid
import zipfile

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from providers import registry
from providers.adapters import demo_faces, demo_matting, demo_mesh, demo_render, demo_video
from providers.adapters.base import ProviderError, Status, Submitted, WebhookEvent, WebhookRejected
from providers.adapters.demo_drawing import corner_label as _label
from providers.adapters.demo_drawing import edit_band_at_bottom, edit_labels, placeholder
from providers.adapters.demo_drawing import fit_lines as _lines
from providers.adapters.demo_drawing import text_font as _font

log = logging.getLogger(__name__)

UPSCALE_ENDPOINTS = {"fal-ai/seedvr/upscale/image"}
TRAINING_ENDPOINTS = {"fal-ai/flux-lora-fast-training", "fal-ai/z-image-trainer"}
FACE_REFERENCE_ENDPOINTS = {"fal-ai/flux-pulid"}
REFERENCE_ENDPOINTS = {"fal-ai/flux-lora/image-to-image"}
INPAINT_ENDPOINTS = {"fal-ai/flux-lora/inpainting"}
SEGMENT_ENDPOINTS = {"fal-ai/evf-sam"}
TRYON_ENDPOINTS = {"fal-ai/fashn/tryon/v1.6"}
EDIT_ENDPOINTS = INPAINT_ENDPOINTS | SEGMENT_ENDPOINTS | TRYON_ENDPOINTS
IMAGE_ENDPOINTS = {
    "fal-ai/flux-lora",
    "fal-ai/z-image/turbo/lora",
    "fal-ai/flux/dev",
}
SIZES = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
MAX_OUTPUT_PIXELS = 100_000_000
TRAINING_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
DEMO_CAPTION = "person, photo (demo caption — no vision model configured)"
DEMO_REPLY = "Demo reply — no language model is configured, so this is a placeholder, not an answer."
# Prompt requests (generation.prompt_writer) name their base prompt and how many they want; the demo
# answers with that prompt and a different framing each, marked as a demo.
DEMO_VARIATIONS = [
    "looking at the camera, medium shot",
    "three-quarter view, candid, laughing",
    "seen from a low angle, full body",
    "close-up portrait, soft window light",
    "walking towards the camera, natural motion",
    "over-the-shoulder glance, shallow depth of field",
    "sitting, relaxed, wide shot",
    "profile view, golden light",
    "leaning on a wall, arms crossed",
    "high angle, looking up and smiling",
]


def _state_key(request_id: str) -> str:
    return f"demo-provider:{request_id}"


class DemoAdapter:
    name = "demo"

    def submit(self, *, endpoint_id: str, arguments: dict, webhook_url: str | None) -> Submitted:
        from providers import tasks

        if endpoint_id == registry.ENDPOINTS["chat"].endpoint_id:
            return Submitted(request_id=f"demo-{uuid.uuid4()}", immediate=Status("succeeded", output=_chat(arguments)))
        known = (
            (UPSCALE_ENDPOINTS | IMAGE_ENDPOINTS | TRAINING_ENDPOINTS | FACE_REFERENCE_ENDPOINTS | REFERENCE_ENDPOINTS)
            | EDIT_ENDPOINTS
            | demo_video.ENDPOINTS
            | demo_matting.ENDPOINTS
        )
        if endpoint_id not in known and not demo_mesh.handles(endpoint_id):
            raise ProviderError(
                "The demo provider can't do this. Set a provider key (see docs/configuration.md) to use the real model."
            )
        request_id = f"demo-{uuid.uuid4()}"
        cache.set(_state_key(request_id), {"state": "queued"}, 24 * 3600)
        queued_for = settings.DEMO_PROVIDER_LATENCY * 0.4
        transaction.on_commit(
            lambda: tasks.demo_run.apply_async(args=(endpoint_id, request_id, arguments), countdown=queued_for)
        )
        return Submitted(request_id=request_id, queue_position=0)

    def status(self, *, endpoint_id: str, request_id: str) -> Status:
        state = cache.get(_state_key(request_id))
        if state is None:
            return Status("failed", error="The demo provider lost this request (its cache was cleared).")
        return Status(state["state"], output=state.get("output"), error=state.get("error", ""))

    def cancel(self, *, endpoint_id: str, request_id: str) -> None:
        cache.set(_state_key(request_id), {"state": "cancelled"}, 24 * 3600)

    def parse_webhook(self, payload: dict) -> WebhookEvent:
        raise WebhookRejected("The demo provider sends no webhooks.")


def run(endpoint_id: str, request_id: str, arguments: dict) -> None:
    """The demo's 'GPU' (runs in a worker): do the work, then report through the gateway."""
    from providers import gateway

    state = cache.get(_state_key(request_id)) or {}
    if state.get("state") == "cancelled":
        return
    cache.set(_state_key(request_id), {"state": "running"}, 24 * 3600)
    gateway.call_apply_status_by_request("demo", request_id, Status("running"))
    time.sleep(settings.DEMO_PROVIDER_LATENCY * 0.6)
    if random.random() < settings.DEMO_PROVIDER_FAILURE_RATE:
        status = Status("failed", error="Simulated failure from the demo provider (DEMO_PROVIDER_FAILURE_RATE).")
    else:
        try:
            status = Status("succeeded", output=_work(endpoint_id, request_id, arguments))
        except ProviderError as exc:
            status = Status("failed", error=exc.message)
        except Exception:  # a bug in the demo's own work: fail the call (credits back) rather than hang it
            log.exception("The demo provider's work for %s (%s) failed", endpoint_id, request_id)
            status = Status("failed", error="The demo provider hit an error making this. Nothing was charged.")
    if (cache.get(_state_key(request_id)) or {}).get("state") == "cancelled":
        return
    cache.set(_state_key(request_id), {"state": status.state, "output": status.output, "error": status.error}, 86400)
    gateway.call_apply_status_by_request("demo", request_id, status)


def _work(endpoint_id: str, request_id: str, arguments: dict) -> dict:
    if endpoint_id in demo_matting.ENDPOINTS:  # Replicate's shape: the output is the matte video's URL
        return {"output": demo_matting.work(endpoint_id, request_id, arguments)}
    if endpoint_id in demo_video.ENDPOINTS:
        return demo_video.work(endpoint_id, request_id, arguments)
    if demo_mesh.handles(endpoint_id):
        return demo_mesh.work(request_id, arguments)
    if endpoint_id in UPSCALE_ENDPOINTS:
        image = _upscale(_open_input(arguments["image_url"]), float(arguments.get("upscale_factor", 2)))
        url, width, height = _save(request_id, image)
        return {"image": {"url": url, "width": width, "height": height, "content_type": "image/jpeg"}, "seed": 0}
    if endpoint_id in TRAINING_ENDPOINTS:
        return _train(request_id, arguments)
    if endpoint_id in FACE_REFERENCE_ENDPOINTS:
        return _face_reference(request_id, arguments)
    if endpoint_id in REFERENCE_ENDPOINTS:
        return _from_reference(request_id, arguments)
    if endpoint_id in INPAINT_ENDPOINTS:
        return _inpaint(request_id, arguments)
    if endpoint_id in SEGMENT_ENDPOINTS:
        return _segment(request_id, arguments)
    if endpoint_id in TRYON_ENDPOINTS:
        return _tryon(request_id, arguments)
    width, height = _size(arguments.get("image_size"))
    seed = int(arguments.get("seed") or random.randrange(2**31))
    images = []
    prompt = str(arguments.get("prompt", ""))
    face = demo_render.lora_face(arguments.get("loras") or [])
    for index in range(int(arguments.get("num_images") or 1)):
        if demo_faces.pool():  # DEMO_FACE_POOL (tests, benchmarks): a real photo fills the frame, measured for real
            photo = demo_faces.demo_face(None, seed=seed + index)
            assert photo is not None
            image = ImageOps.fit(photo, (width, height), Image.Resampling.LANCZOS, centering=(0.5, 0.35))
            _label(image, f"{_recipe_label(endpoint_id, arguments)} · photo from DEMO_FACE_POOL")
            demo_render.band(image)
        elif face is not None or demo_render.recipe_from_prompt(prompt).named:
            image = demo_render.render(
                width, height, prompt=prompt, model=_model_label(endpoint_id, arguments), face=face, seed=seed + index
            )
        else:  # a bare portrait with no face to show (the wizard's candidates)
            image = placeholder(width, height, title="Demo render", detail=prompt[:160])
            _label(image, _recipe_label(endpoint_id, arguments))
            demo_render.band(image)
        url, w, h = _save(f"{request_id}-{index}", image)
        images.append({"url": url, "width": w, "height": h, "content_type": "image/jpeg"})
    return {"images": images, "seed": seed, "has_nsfw_concepts": [False] * len(images)}


def _model_label(endpoint_id: str, arguments: dict) -> str:
    """The model and what it was sent, e.g. "Z-Image Turbo · 8 steps · 2 LoRAs"."""
    return " · ".join(_recipe_label(endpoint_id, arguments).split(" · ")[1:-1])


def _recipe_label(endpoint_id: str, arguments: dict) -> str:
    """What the model was asked for, as the placeholder's corner tag: e.g. "Demo · Z-Image Turbo ·
    8 steps · 2 LoRAs · not AI"."""
    model = next((e.label for e in registry.ENDPOINTS.values() if e.endpoint_id == endpoint_id), endpoint_id)
    parts = ["Demo", model]
    if steps := arguments.get("num_inference_steps"):
        parts.append(f"{steps} steps")
    if loras := arguments.get("loras"):
        parts.append(f"{len(loras)} LoRA{'s' if len(loras) != 1 else ''}")
    return " · ".join([*parts, "not AI"])


def _chat(arguments: dict) -> dict:
    """A labelled placeholder: prompts when asked for prompts, a style recipe measured from the
    pixels when asked for one (``demo_style``), a caption when the request shows an image, else a
    plain reply."""
    from providers.adapters import demo_script, demo_style

    if demo_style.wants_recipe(arguments):
        return demo_style.recipe(arguments)
    if demo_script.wants_breakdown(arguments):
        return demo_script.breakdown(arguments)
    parts = [
        part
        for message in arguments.get("messages") or []
        for part in (message.get("content") if isinstance(message.get("content"), list) else [message])
    ]
    text = "\n".join(str(part.get("text") or part.get("content") or "") for part in parts if isinstance(part, dict))
    base = re.search(r"^Base prompt: (.+)$", text, flags=re.MULTILINE)
    wanted = re.search(r"^Write (\d+) ", text, flags=re.MULTILINE)
    if base and wanted:
        count = max(1, min(int(wanted.group(1)), len(DEMO_VARIATIONS)))
        prompts = [f"{base.group(1).strip()}, {DEMO_VARIATIONS[n]} (demo variation)" for n in range(count)]
        return {"text": json.dumps(prompts), "usage": {}, "model": "demo"}
    shows_image = any(part.get("type") == "image_url" for part in parts if isinstance(part, dict))
    return {"text": DEMO_CAPTION if shows_image else DEMO_REPLY, "usage": {}, "model": "demo"}


def _train(request_id: str, arguments: dict) -> dict:
    """Read the training zip for real; answer a placeholder LoRA in fal's output shape. (The FLUX
    trainer takes ``images_data_url`` and a trigger word; the Z-Image one ``image_data_url`` and a
    default caption.)"""
    images, face = _training_zip(arguments.get("images_data_url") or arguments.get("image_data_url") or "")
    trigger = str(arguments.get("trigger_word") or arguments.get("default_caption") or "")
    weights = demo_safetensors(images=images, trigger_word=trigger, steps=int(arguments.get("steps") or 0), face=face)
    lora_url = _save_bytes(f"{request_id}.safetensors", weights)
    config = {
        "demo": True,
        "note": "Written by the offline demo provider. No model was trained.",
        "images": images,
        "trigger_word": trigger,
        "steps": arguments.get("steps"),
        "create_masks": arguments.get("create_masks"),
        "training_type": arguments.get("training_type"),
    }
    # Inline, so nothing is left in the demo's scratch folder when no one downloads it.
    config_url = "data:application/json;base64," + base64.b64encode(json.dumps(config).encode()).decode()
    return {
        "diffusers_lora_file": {
            "url": lora_url,
            "content_type": "application/octet-stream",
            "file_name": "pytorch_lora_weights.safetensors",
            "file_size": len(weights),
        },
        "config_file": {"url": config_url, "content_type": "application/json", "file_name": "config.json"},
    }


def _training_zip(ref: str) -> tuple[int, bytes | None]:
    """How many images the training zip holds, and its first one (by name: the close-ups come
    first) as a small JPEG: the face the demo's placeholder "face model" remembers."""
    if not ref.startswith("storage:"):
        raise ProviderError("The demo provider reads inputs from our own storage only.")
    try:
        with default_storage.open(ref.removeprefix("storage:"), "rb") as fh, zipfile.ZipFile(fh) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(TRAINING_IMAGE_SUFFIXES))
            first = archive.read(names[0]) if names else b""
    except FileNotFoundError:
        raise ProviderError("The training images were deleted before training started.") from None
    except zipfile.BadZipFile:
        raise ProviderError("The training images aren't a readable zip file.") from None
    if not names:
        raise ProviderError("The training zip has no images in it.")
    return len(names), demo_render.face_thumbnail(first)


def demo_safetensors(*, images: int, trigger_word: str, steps: int, face: bytes | None = None) -> bytes:
    """A valid, tiny safetensors file (one 4-byte tensor) whose metadata says it is a placeholder.
    ``face``: a small JPEG of the first training photo, which the demo's renders paste in as the
    character's face (the only thing this "model" knows)."""
    header = {
        "__metadata__": {
            "format": "pt",
            "personae_demo": "true",
            "note": "Demo placeholder from the offline demo provider, not a trained model.",
            "images": str(images),
            "trigger_word": trigger_word,
            "steps": str(steps),
            **({"face_jpeg": base64.b64encode(face).decode()} if face else {}),
        },
        "demo_placeholder.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
    }
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the format pads the header to 8 bytes
    return struct.pack("<Q", len(encoded)) + encoded + struct.pack("<f", 0.0)


def _face_reference(request_id: str, arguments: dict) -> dict:
    """The reference photo itself, recropped a little differently per seed, with a label naming
    the angle asked for: a stand-in that keeps the real face, so checks downstream run on it. (Not
    mirrored: a mirrored placeholder's text reads backwards, as if broken.)"""
    width, height = _size(arguments.get("image_size"))
    seed = int(arguments.get("seed") or random.randrange(2**31))
    # The reference itself, or (DEMO_FACE_POOL, tests and benchmarks) a pool photo picked by seed.
    reference = demo_faces.demo_face(_open_input(arguments["reference_image_url"]), seed=seed)
    assert reference is not None  # demo_face returns the reference itself, or a pool photo
    prompt = str(arguments.get("prompt", ""))
    if demo_render.recipe_from_prompt(prompt).named and not demo_faces.pool():
        # A Studio image: draw the recipe with this face.
        model = _model_label("fal-ai/flux-pulid", arguments)
        image = demo_render.render(width, height, prompt=prompt, model=model, face=reference, seed=seed)
        url, w, h = _save(request_id, image)
        return {"images": [{"url": url, "width": w, "height": h, "content_type": "image/jpeg"}], "seed": seed}
    zoom = 1.0 + (seed % 3) * 0.08
    crop_w = min(reference.width, round(reference.height * width / height)) / zoom
    crop_h = crop_w * height / width
    shift = ((seed // 3) % 5 - 2) * 0.03 * reference.width
    left = min(max(0.0, (reference.width - crop_w) / 2 + shift), reference.width - crop_w)
    top = max(0.0, (reference.height - crop_h) / 3)
    image = reference.crop((round(left), round(top), round(left + crop_w), round(top + crop_h)))
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    angle = str(arguments.get("prompt", "")).split(".")[0].strip()[:48] or "face reference"
    _label(image, f"Demo · {angle} · not AI")
    url, w, h = _save(request_id, image)
    return {"images": [{"url": url, "width": w, "height": h, "content_type": "image/jpeg"}], "seed": seed}


def _from_reference(request_id: str, arguments: dict) -> dict:
    """Image-to-image: the reference itself at the size asked for, labelled, so the pipeline runs
    (and its lineage can be seen) without pretending to repaint anything."""
    reference = _open_input(arguments["image_url"])
    width, height = _size(arguments.get("image_size"))
    image = ImageOps.fit(reference, (width, height), Image.Resampling.LANCZOS)
    edit_labels(image, "Demo · image-to-image from your reference · not AI", faces=_faces(image))
    url, w, h = _save(request_id, image)
    seed = int(arguments.get("seed") or random.randrange(2**31))
    return {"images": [{"url": url, "width": w, "height": h, "content_type": "image/jpeg"}], "seed": seed}


# --- Edits: inpaint, segment, try-on (generation/edits.py, and the Studio's try-on) ------------------


def _inpaint(request_id: str, arguments: dict) -> dict:
    """Inpainting: the source with the masked area really painted over by a labelled placeholder
    fill that shows the prompt, outlined; outside the mask the image is untouched."""
    image = _open_input(arguments["image_url"])
    mask = _open_mask(arguments["mask_url"], image.size)
    box = mask.getbbox()
    if box is None:
        raise ProviderError("The mask is empty, so there is nothing to paint.")
    fill = _edit_fill(image, box, str(arguments.get("prompt") or ""))
    result = Image.composite(fill, image, mask)
    edge = mask.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.MaxFilter(3))
    result.paste((255, 255, 255), mask=edge)
    edit_labels(result, "Demo · inpaint · placeholder fill · not AI", faces=_faces(image), changed=[box])
    url, width, height = _save(request_id, result)
    seed = int(arguments.get("seed") or random.randrange(2**31))
    return {
        "images": [{"url": url, "width": width, "height": height, "content_type": "image/jpeg"}],
        "seed": seed,
        "has_nsfw_concepts": [False],
        "prompt": str(arguments.get("prompt") or ""),
        "timings": {},
    }


def _edit_fill(image: Image.Image, box: tuple[int, int, int, int], prompt: str) -> Image.Image:
    """What the demo paints inside a mask: the source blurred under a tinted, striped wash, with
    "Demo fill" and the prompt written in the middle of the masked area."""
    width, height = image.size
    blurred = image.filter(ImageFilter.GaussianBlur(max(4, width // 80)))
    gradient = Image.linear_gradient("L").resize(image.size)
    tint = Image.composite(
        Image.new("RGB", image.size, (236, 72, 153)), Image.new("RGB", image.size, (99, 102, 241)), gradient
    )
    fill = Image.blend(blurred, tint, 0.6).convert("RGBA")
    stripes = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(stripes)
    step = max(12, width // 40)
    for x in range(-height, width, step * 2):
        draw.line([(x, 0), (x + height, height)], fill=(255, 255, 255, 48), width=max(2, step // 2))
    fill = Image.alpha_composite(fill, stripes).convert("RGB")
    left, top, right, bottom = box
    box_w, box_h = right - left, bottom - top
    size = max(10, min(box_w // 14, box_h // 6, width // 24))
    font = _font(size)
    draw = ImageDraw.Draw(fill)
    lines = ["Demo fill · not AI", *_lines(draw, prompt, font, box_w * 9 // 10, 4)]
    line_h = int(size * 1.3)
    y = (top + bottom) // 2 - line_h * len(lines) // 2
    for line in lines:
        draw.text(((left + right) // 2, y + line_h // 2), line, font=font, fill="white", anchor="mm")
        y += line_h
    return fill


def _open_mask(ref: str, size: tuple[int, int]) -> Image.Image:
    """A mask from our storage as black (keep) and white (change), at ``size``."""
    if not ref.startswith("storage:"):
        raise ProviderError("The demo provider reads inputs from our own storage only.")
    try:
        with default_storage.open(ref.removeprefix("storage:"), "rb") as fh:
            mask: Image.Image = Image.open(fh)
            mask.load()
    except FileNotFoundError:
        raise ProviderError("The mask was deleted before the demo provider could read it.") from None
    mask = mask.convert("L")
    if mask.size != size:
        mask = mask.resize(size, Image.Resampling.NEAREST)
    return mask.point(lambda v: 255 if v >= 128 else 0)


def _segment(request_id: str, arguments: dict) -> dict:
    """Text-prompted segmentation, done by a heuristic rather than a model: a rounded block over
    the torso below the face dlib finds (or, with no face found, below where a portrait's face
    usually is), grown by ``expand_mask``. Answered as fal's ``{"image": {...}}`` PNG. The mask
    carries no label (it would be painted into); the inpainted result that uses it does."""
    image = _open_input(arguments["image_url"])
    width, height = image.size
    face = _face_box(image)
    if face is None:  # assume a portrait: the face in the upper middle
        face_w = width * 0.2
        face = (width / 2 - face_w / 2, height * 0.12, width / 2 + face_w / 2, height * 0.12 + face_w * 1.25)
    left, top, right, bottom = face
    face_w, face_h = right - left, bottom - top
    grow = float(arguments.get("expand_mask") or 0)
    centre_x, shoulders = (left + right) / 2, bottom + face_h * 0.2
    box = (
        max(0.0, centre_x - face_w * 1.4 - grow),
        max(0.0, shoulders - grow),
        min(width - 1.0, centre_x + face_w * 1.4 + grow),
        min(height - 1.0, shoulders + face_h * 5 + grow),
    )
    mask = Image.new("L", image.size, 0)
    if box[2] > box[0] and box[3] > box[1]:
        ImageDraw.Draw(mask).rounded_rectangle(box, radius=face_w * 0.7, fill=255)
    if arguments.get("revert_mask"):
        mask = ImageOps.invert(mask)
    if blur := int(arguments.get("blur_mask") or 0):
        mask = mask.filter(ImageFilter.GaussianBlur(blur / 2))
    output = mask if arguments.get("mask_only", True) else Image.composite(image, Image.new("RGB", image.size), mask)
    buffer = io.BytesIO()
    output.save(buffer, "PNG")
    data = buffer.getvalue()
    url = _save_bytes(f"{request_id}.png", data)
    return {
        "image": {
            "url": url,
            "content_type": "image/png",
            "file_name": "mask.png",
            "file_size": len(data),
            "width": width,
            "height": height,
        }
    }


@functools.cache
def _face_detector():
    import dlib

    return dlib.get_frontal_face_detector()


def _face_box(image: Image.Image) -> tuple[float, float, float, float] | None:
    """The largest face dlib's detector finds, in ``image``'s pixels, or None."""
    import numpy as np

    small = image.copy()
    small.thumbnail((640, 640))
    rects = _face_detector()(np.asarray(small), 1)
    if not rects:
        return None
    rect = max(rects, key=lambda r: r.width() * r.height())
    scale = image.width / small.width
    return (rect.left() * scale, rect.top() * scale, rect.right() * scale, rect.bottom() * scale)


def _tryon(request_id: str, arguments: dict) -> dict:
    """Virtual try-on: the person's image unchanged, with the garment pasted as a framed inset and a
    label, in fal's ``{"images": [...]}`` shape. Nothing is re-dressed."""
    person = _open_input(arguments["model_image"])
    garment = _open_input(arguments["garment_image"])
    side = max(64, min(person.size) // 3)
    inset = ImageOps.contain(garment, (side, side), Image.Resampling.LANCZOS)
    pad = max(4, side // 24)
    caption = max(12, side // 9)
    frame = Image.new("RGB", (inset.width + pad * 2, inset.height + pad * 3 + caption), "white")
    frame.paste(inset, (pad, pad))
    ImageDraw.Draw(frame).text(
        (frame.width // 2, inset.height + pad * 2 + caption // 2),
        "Garment",
        font=_font(caption),
        fill=(17, 17, 27),
        anchor="mm",
    )
    margin = max(8, person.width // 40)
    faces = _faces(person)
    at_bottom = edit_band_at_bottom(person.size, faces)
    # The inset goes top right, below the band when the band is at the top.
    top = margin if at_bottom else demo_render.band_box(*person.size)[3] + margin
    person.paste(frame, (person.width - frame.width - margin, top))
    edit_labels(person, "Demo · try-on · garment inset · not AI", faces=faces, at_bottom=at_bottom)
    url, width, height = _save(request_id, person)
    return {"images": [{"url": url, "width": width, "height": height, "content_type": "image/jpeg"}]}


def _open_input(ref: str) -> Image.Image:
    if not ref.startswith("storage:"):
        raise ProviderError("The demo provider reads inputs from our own storage only.")
    with default_storage.open(ref.removeprefix("storage:"), "rb") as fh:
        image = Image.open(fh)
        image.load()
    return ImageOps.exif_transpose(image).convert("RGB")


def _upscale(image: Image.Image, factor: float) -> Image.Image:
    width, height = round(image.width * factor), round(image.height * factor)
    if width * height > MAX_OUTPUT_PIXELS:
        raise ProviderError(f"The result would be {width:,} × {height:,} pixels, over the 100 MP limit.")
    scale = width / image.width
    faces = [(left * scale, top * scale, right * scale, bottom * scale) for left, top, right, bottom in _faces(image)]
    result = image.resize((width, height), Image.Resampling.LANCZOS)
    edit_labels(result, f"Demo upscale · Lanczos {factor:g}× · not AI", faces=faces)
    return result


def _faces(image: Image.Image) -> list[tuple[float, float, float, float]]:
    """The face an edit's labels keep clear of (so likeness stays measurable), if dlib finds one."""
    face = _face_box(image)
    return [face] if face else []


def _size(value) -> tuple[int, int]:
    if isinstance(value, dict):
        return int(value.get("width", 1024)), int(value.get("height", 1024))
    return SIZES.get(value or "square_hd", (1024, 1024))


def _save_bytes(name: str, data: bytes) -> str:
    return "storage:" + default_storage.save(f"demo/{name}", ContentFile(data))


def _save(name: str, image: Image.Image) -> tuple[str, int, int]:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=94)
    key = default_storage.save(f"demo/{name}.jpg", ContentFile(buffer.getvalue()))
    return f"storage:{key}", image.width, image.height
