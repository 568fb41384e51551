"""Real photos for character tests, built from the face fixtures (``../shared/fixtures/faces/``).

``person_a_photos(n)`` gives ``n`` distinct JPEGs of person A, each at least ``min_side`` px on
its short side, from the four A fixtures: scaled up, cropped around the face at different zooms
and offsets, some mirrored, with small brightness changes. Every pair is more than the library's
near-duplicate distance apart (dHash), so a dataset of them passes the check clean.

Other helpers: ``photo(name)`` (one fixture, scaled up), ``faceless_photo()``, ``blurred()``,
``resaved()`` (a near copy), ``jpeg()``.
"""

from __future__ import annotations

import io
import random
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from assets import media

FACES_DIR = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "faces"
PERSON_A = ("person-a-1", "person-a-2", "person-a-3", "person-a-4")

# Face boxes in the fixtures' own pixels (left, top, right, bottom), measured with characters.identity.
_FACE_BOXES = {
    "person-a-1": (328, 137, 543, 352),
    "person-a-2": (136, 251, 394, 509),
    "person-a-3": (460, 78, 609, 228),
    "person-a-4": (394, 165, 652, 423),
}


@cache
def fixture(name: str) -> Image.Image:
    """A face fixture as an RGB image (``person-a-1``, ``person-b-2``, ``group-3-faces`` …)."""
    with Image.open(FACES_DIR / f"{name}.jpg") as im:
        return im.convert("RGB")


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _at_least(image: Image.Image, min_side: int) -> Image.Image:
    short = min(image.size)
    if short >= min_side:
        return image
    scale = min_side / short
    return image.resize((round(image.width * scale + 0.5), round(image.height * scale + 0.5)), Image.Resampling.LANCZOS)


def photo(name: str, min_side: int = 1024) -> bytes:
    """One fixture as a JPEG, scaled up so its short side is at least ``min_side``."""
    return jpeg(_at_least(fixture(name), min_side))


def _variant(name: str, rng: random.Random, min_side: int) -> Image.Image:
    image = fixture(name)
    left, top, right, bottom = _FACE_BOXES[name]
    zoom = rng.uniform(0.72, 0.95)
    width, height = round(image.width * zoom), round(image.height * zoom)
    # Any offset that keeps the face (with a margin) inside the crop.
    margin = (right - left) // 4
    x_min, x_max = max(0, right + margin - width), min(image.width - width, max(0, left - margin))
    y_min, y_max = max(0, bottom + margin - height), min(image.height - height, max(0, top - margin))
    x = rng.randint(min(x_min, x_max), max(x_min, x_max))
    y = rng.randint(min(y_min, y_max), max(y_min, y_max))
    crop = image.crop((x, y, x + width, y + height))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    crop = ImageEnhance.Brightness(crop).enhance(rng.uniform(0.9, 1.1))
    return _at_least(crop, min_side)


@cache
def _person_a(n: int, min_side: int) -> tuple[bytes, ...]:
    rng = random.Random(5)
    chosen: list[tuple[bytes, int]] = []
    attempts = 0
    while len(chosen) < n:
        attempts += 1
        if attempts > 100 * n:
            raise RuntimeError(f"couldn't make {n} distinct photos of person A")
        image = _variant(PERSON_A[attempts % len(PERSON_A)], rng, min_side)
        data = jpeg(image)
        with Image.open(io.BytesIO(data)) as decoded:
            decoded.draft(None, (media.LIMITS.preview_px, media.LIMITS.preview_px))
            small = decoded.convert("RGB")
            small.thumbnail((media.LIMITS.preview_px, media.LIMITS.preview_px))
            value = media.dhash(small)
        if all(media.phash_distance(value, other) > media.NEAR_DUPLICATE_DISTANCE + 4 for _d, other in chosen):
            chosen.append((data, value))
    return tuple(data for data, _value in chosen)


def person_a_photos(n: int, min_side: int = 1024) -> list[bytes]:
    """``n`` distinct JPEGs of person A (one face each), short side ≥ ``min_side``. Cached."""
    return list(_person_a(n, min_side))


def faceless_photo(size: tuple[int, int] = (1200, 900), seed: int = 0) -> bytes:
    """A landscape with no face in it; another ``seed`` draws a different one."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("RGB", size, (rng.randint(90, 150), rng.randint(150, 200), 220))
    draw = ImageDraw.Draw(image)
    horizon = int(h * rng.uniform(0.5, 0.7))
    draw.rectangle((0, horizon, w, h), fill=(70, rng.randint(100, 140), 60))
    peak = (int(w * rng.uniform(0.2, 0.8)), int(h * rng.uniform(0.15, 0.35)))
    draw.polygon(
        [(int(w * rng.uniform(0, 0.2)), horizon), peak, (int(w * rng.uniform(0.8, 1)), horizon)], fill=(110, 110, 120)
    )
    sun = (int(w * rng.uniform(0.05, 0.9)), int(h * rng.uniform(0.05, 0.2)))
    draw.ellipse((*sun, sun[0] + w // 10, sun[1] + w // 10), fill=(250, 230, 120))
    return jpeg(image)


def blurred(data: bytes, radius: float = 4) -> bytes:
    """The same photo under a Gaussian blur."""
    with Image.open(io.BytesIO(data)) as im:
        return jpeg(im.convert("RGB").filter(ImageFilter.GaussianBlur(radius)))


def resaved(data: bytes, scale: float = 0.95, quality: int = 70) -> bytes:
    """The same picture saved again: slightly smaller and re-encoded (a near duplicate)."""
    with Image.open(io.BytesIO(data)) as im:
        image = im.convert("RGB")
        return jpeg(
            image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS), quality
        )
