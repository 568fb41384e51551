"""Body photos made on the spot from the face fixtures (``../shared/fixtures/faces/``), for tests,
the browser test and the benchmark: person B's head on a drawn body, as a close-up, a half-body
or a full-body shot, each different (size, background, colours, mirroring), one face each.

Not used by the product itself; it lives here so tests, e2e and ``make bench`` share it.
"""

from __future__ import annotations

import io
import random
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance

FACES_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "faces"
# Face boxes in the fixtures' own pixels (left, top, right, bottom), measured with dlib.
HEADS = {"person-b-1": (194, 112, 344, 261), "person-b-2": (362, 238, 734, 610)}
SOURCES = ("person-a-1", "person-a-2", "person-a-3", "person-a-4")
KINDS = ("closeup", "half", "full")


@cache
def fixture(name: str) -> Image.Image:
    with Image.open(FACES_DIR / f"{name}.jpg") as im:
        return im.convert("RGB")


def jpeg(image: Image.Image, quality: int = 90, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    image.convert(mode).save(out, "JPEG", quality=quality)
    return out.getvalue()


def source_photo(index: int) -> bytes:
    """Face photo ``index`` of person A (0–3 are the fixtures; more are mirrored/brightened)."""
    image = fixture(SOURCES[index % len(SOURCES)])
    if index >= len(SOURCES):
        image = ImageEnhance.Brightness(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)).enhance(1.05)
    return jpeg(image)


def body_image(index: int, kind: str | None = None) -> Image.Image:
    """Body photo ``index``: person B's head on a drawn body; ``kind`` closeup | half | full."""
    rng = random.Random(1000 + index)
    kind = kind or KINDS[index % len(KINDS)]
    name = list(HEADS)[index % len(HEADS)]
    face = fixture(name)
    left, top, right, bottom = HEADS[name]
    fw = right - left
    head = face.crop(
        (
            max(0, left - fw // 2),
            max(0, top - fw * 2 // 3),
            min(face.width, right + fw // 2),
            min(face.height, bottom + fw // 2),
        )
    )
    if rng.random() < 0.5:
        head = head.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    size, head_w = {"closeup": ((1024, 1024), 560), "half": ((900, 1200), 330), "full": ((800, 1600), 175)}[kind]
    head = head.resize((head_w, round(head.height * head_w / head.width)), Image.Resampling.LANCZOS)
    width, height = size
    back = tuple(rng.randint(60, 220) for _ in range(3))
    canvas = Image.new("RGB", size, back)
    draw = ImageDraw.Draw(canvas)
    for stripe in range(0, height, rng.randint(40, 90)):
        draw.rectangle((0, stripe, width, stripe + 8), fill=tuple(max(0, c - 25) for c in back))
    cx = width // 2 + rng.randint(-width // 10, width // 10)
    head_top = rng.randint(height // 30, height // 12)
    shirt = tuple(rng.randint(20, 200) for _ in range(3))
    neck = head_top + head.height - head_w // 6
    shoulders = head_w * 1.3
    draw.rounded_rectangle(
        (cx - shoulders / 2, neck, cx + shoulders / 2, min(height, neck + head_w * 3)), radius=head_w // 3, fill=shirt
    )
    if kind == "full":
        legs = (40, 40, 90)
        draw.rectangle((cx - shoulders / 2.4, neck + head_w * 3, cx - 8, height - 40), fill=legs)
        draw.rectangle((cx + 8, neck + head_w * 3, cx + shoulders / 2.4, height - 40), fill=legs)
    canvas.paste(head, (cx - head.width // 2, head_top))
    return canvas


def body_photo(index: int, kind: str | None = None) -> bytes:
    return jpeg(body_image(index, kind))
