"""Faces and identity (ARCHITECTURE.md §7): dlib's HOG face detector, its 5-point landmarks and its
ResNet 128-d face embeddings, called directly (``dlib-bin`` + ``face-recognition-models``).

Two faces belong to the same person when their embeddings are less than ``SAME_PERSON`` (0.6)
apart. Measured on ``fixtures/faces/``: one person's photos are 0.35–0.45 apart, different
people about 0.8. A character's *identity reference* is the mean embedding of its dataset (or its
base / sheet / reference images); ``identity_score`` says, from 0 to 100, how much a face looks
like it.

Photos are decoded small (JPEG ``draft`` lets libjpeg decode a 12 MP photo at ¼ scale directly),
turned upright from their EXIF orientation, and analysed at about ``WORK_PX`` on the long side;
face boxes are reported in the original's pixels. Library assets already have a 1024 px upright
sRGB preview, which is what the dataset analysis reads (see ``characters.dataset``).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

import dlib
import face_recognition_models
import numpy as np
from PIL import Image, ImageOps

from assets import media  # also registers the HEIF opener
from assets.models import Asset
from assets.storage import storage

if TYPE_CHECKING:
    from characters.models import Character

# Two embeddings closer than this are the same person (dlib's own threshold for these weights).
SAME_PERSON = 0.6
# Distances between this and SAME_PERSON are "probably the same person, but check".
BORDERLINE = 0.52
# ``score``: at or under PERFECT → 100, SAME_PERSON → 50, at or over UNRELATED → 0; linear between.
PERFECT = 0.3
UNRELATED = 0.9

# Detection size. HOG finds faces from about 80 px; at 1024 px a close-up's face is 200–400 px and
# a full-body shot's 60–120 px, so the second pass (upsample 1, ~3× slower) only runs when the
# first finds nothing.
WORK_PX = 1024
# JPEG draft: decode at the smallest 1/2, 1/4 or 1/8 scale whose long side is still this big,
# e.g. a 4000 × 3000 photo at ¼ (1000 × 750) instead of ½ and a resize.
DRAFT_MIN_PX = 768
# Sharpness is measured on the face crop scaled to this square, so it doesn't depend on face size.
SHARPNESS_PX = 128

_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class UnreadablePhoto(Exception):
    """The photo's pixels couldn't be decoded; the message says so in plain words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # left, top, right, bottom in the original's (upright) pixels
    embedding: list[float]  # 128 floats
    sharpness: float  # variance of the Laplacian of the face, grey, at SHARPNESS_PX²

    @property
    def area(self) -> int:
        left, top, right, bottom = self.box
        return max(0, right - left) * max(0, bottom - top)


@dataclass
class Analysis:
    width: int  # the original, upright
    height: int
    faces: list[Face]  # largest first
    timings: dict[str, float] = field(default_factory=dict)  # decode / detect / embed, in ms


# --- Models (loaded once per process, on first use) ------------------------------------------

_models_lock = threading.Lock()
_models: tuple | None = None


def _load_models():
    """(detector, 5-point shape predictor, face encoder); ~0.6 s the first time in a process."""
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = (
                    dlib.get_frontal_face_detector(),
                    dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location()),
                    dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location()),
                )
    return _models


# --- Decoding ----------------------------------------------------------------------------------


def _open(source) -> tuple[Image.Image, int, int]:
    """(upright RGB image at about WORK_PX, original upright width, height)."""
    if isinstance(source, Image.Image):
        im = ImageOps.exif_transpose(source)
        width, height = im.size
        return _fit(im.convert("RGB")), width, height
    try:
        im = Image.open(os.fspath(source) if isinstance(source, os.PathLike) else source)
    except Exception as exc:  # untrusted bytes: any parser error means we can't read it
        raise UnreadablePhoto("This photo couldn't be read: it isn't an image file we can open.") from exc
    with im:
        width, height = im.size
        if width * height > media.LIMITS.max_image_pixels:
            raise UnreadablePhoto(f"This photo is {width:,} × {height:,} pixels, more than we can analyse.")
        try:
            orientation = 1 if im.format == "HEIF" else int(im.getexif().get(0x0112, 1))
        except Exception:  # malformed EXIF: take the pixels as they are
            orientation = 1
        try:
            if im.format == "JPEG":
                scale = DRAFT_MIN_PX / max(width, height)
                im.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
            im.load()
            rgb = _fit(im.convert("RGB"))
        except Exception as exc:
            raise UnreadablePhoto(
                "This photo is damaged or incomplete: its pixels couldn't be decoded. Export it again and replace it."
            ) from exc
    if orientation in _ORIENTATION_TRANSPOSE:  # after scaling: cheaper than rotating the full size
        rgb = rgb.transpose(_ORIENTATION_TRANSPOSE[orientation])
        if orientation >= 5:
            width, height = height, width
    return rgb, width, height


def _fit(im: Image.Image) -> Image.Image:
    longest = max(im.size)
    if longest <= WORK_PX:
        return im
    scale = WORK_PX / longest
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    return im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


# --- Analysis ----------------------------------------------------------------------------------


def photo_analyse(
    source: Image.Image | str | os.PathLike | IO[bytes], *, size: tuple[int, int] | None = None
) -> Analysis:
    """Every face in a photo (largest first), with the original's size and where the time went.

    ``source`` is a PIL image, a path or a binary file. When it is a smaller rendition of a photo
    (a library preview), ``size`` is the original's upright size: boxes are then in its pixels.
    Raises ``UnreadablePhoto``.
    """
    detector, predictor, encoder = _load_models()
    started = time.perf_counter()
    image, width, height = _open(source)
    if size is not None:
        width, height = size
    pixels = np.asarray(image)
    decoded = time.perf_counter()
    rects = detector(pixels, 0)
    if len(rects) == 0:  # small faces (full-body shots): look again at twice the resolution
        rects = detector(pixels, 1)
    detected = time.perf_counter()
    scale_x, scale_y = width / image.width, height / image.height
    grey = np.asarray(image.convert("L"), dtype=np.float32)
    faces = []
    for rect in rects:
        shape = predictor(pixels, rect)
        embedding = list(encoder.compute_face_descriptor(pixels, shape, 0))
        left, top = max(0, rect.left()), max(0, rect.top())
        right, bottom = min(image.width, rect.right()), min(image.height, rect.bottom())
        box = (
            round(left * scale_x),
            round(top * scale_y),
            round(right * scale_x),
            round(bottom * scale_y),
        )
        faces.append(Face(box=box, embedding=embedding, sharpness=_sharpness(grey[top:bottom, left:right])))
    embedded = time.perf_counter()
    faces.sort(key=lambda face: face.area, reverse=True)
    return Analysis(
        width=width,
        height=height,
        faces=faces,
        timings={
            "decode": (decoded - started) * 1000,
            "detect": (detected - decoded) * 1000,
            "embed": (embedded - detected) * 1000,
        },
    )


def analyse(image: Image.Image | str | os.PathLike | IO[bytes]) -> list[Face]:
    """The faces in ``image`` (a PIL image, a path or a binary file), largest first."""
    return photo_analyse(image).faces


def _sharpness(crop: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of a grey crop scaled to SHARPNESS_PX²."""
    if crop.size == 0:
        return 0.0
    square = Image.fromarray(crop).resize((SHARPNESS_PX, SHARPNESS_PX), Image.Resampling.BILINEAR)
    g = np.asarray(square, dtype=np.float32)
    laplacian = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return float(laplacian.var())


# --- Identity ----------------------------------------------------------------------------------


def distance(a, b) -> float:
    """Euclidean distance between two embeddings; under SAME_PERSON means the same person."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def score(value: float) -> int:
    """0–100 from a distance, linear: ≤ 0.3 → 100, 0.6 (the same-person threshold) → 50, ≥ 0.9 → 0."""
    fraction = (UNRELATED - value) / (UNRELATED - PERFECT)
    return round(100 * min(1.0, max(0.0, fraction)))


def mean(embeddings) -> list[float]:
    """The mean of one or more embeddings (a character's identity reference)."""
    vectors = np.asarray(list(embeddings), dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) == 0:
        raise ValueError("mean() needs at least one embedding")
    return [float(x) for x in vectors.mean(axis=0)]


def identity_score(image, character: Character) -> int | None:
    """How much the largest face in ``image`` looks like ``character`` (0–100); None without a
    face or without an identity reference. ``image`` is an Asset (its 1024 px preview is read),
    a PIL image, a path or a binary file."""
    if not character.identity_embedding:
        return None
    if isinstance(image, Asset):
        with storage().open(image.variants.get("preview") or image.original_key, "rb") as fh:
            faces = analyse(fh)
    else:
        faces = analyse(image)
    if not faces:
        return None
    return score(distance(faces[0].embedding, character.identity_embedding))


def reference_set(character: Character, embeddings, *, source: str) -> None:
    """Make the mean of ``embeddings`` the character's identity reference. ``source`` says where
    they came from: ``dataset``, ``base``, ``sheet`` or ``references``."""
    embeddings = list(embeddings)
    character.identity_embedding = mean(embeddings)
    character.identity_source = source
    character.identity_images = len(embeddings)
    character.save(update_fields=["identity_embedding", "identity_source", "identity_images", "updated_at"])
