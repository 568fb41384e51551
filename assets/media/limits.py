"""What the library accepts and the refusal every check raises: ``MediaError`` (a message for the
uploader, a stable ``code``), the accepted types, the size limits and ``check_size``."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

StrPath = str | os.PathLike[str]


class MediaError(Exception):
    """A file we refuse, with a message for the uploader (plain words, what to do)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"MediaError({self.message!r}, code={self.code!r})"

    def __reduce__(self):  # survives pickling (Celery results, multiprocessing)
        return (type(self), (self.message, self.code))


ALLOWED = {  # mime -> kind
    "image/jpeg": "image",
    "image/png": "image",
    "image/webp": "image",
    "image/heic": "image",
    "image/heif": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
}

EXTENSIONS = {  # mime -> canonical extension, without the dot
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}


@dataclass(frozen=True)
class Limits:
    max_image_pixels: int = 50_000_000
    max_image_side: int = 12_000
    max_video_seconds: int = 15 * 60
    max_video_side: int = 4096
    max_image_bytes: int = 60 * 1024 * 1024
    max_video_bytes: int = 1024 * 1024 * 1024
    thumb_px: int = 300
    preview_px: int = 1024


LIMITS = Limits()

ACCEPTED = "We accept JPEG, PNG, WebP and HEIC images, and MP4, MOV and WebM videos."


def photos_only(message: str, accepted: str) -> str:
    """A refusal reworded for a place that takes photos only (training, clothing): no mention of
    videos, and ``accepted`` in place of the library's own list."""
    return (
        message.replace("not an image or video", "not a photo")
        .replace("the photos or videos inside", "the photos inside")
        .replace(ACCEPTED, accepted)
    )


# --- Sizes -----------------------------------------------------------------------------------


def check_size(kind: str, size: int) -> None:
    """Refuse an empty or over-large file of ``kind`` ("image" or "video"). ``size`` in bytes."""
    limits = {"image": LIMITS.max_image_bytes, "video": LIMITS.max_video_bytes}
    if kind not in limits:
        raise ValueError(f"unknown media kind {kind!r}")
    if size <= 0:
        raise MediaError("This file is empty (0 bytes). Check the file and upload it again.", "empty")
    limit = limits[kind]
    if size > limit:
        advice = "Resize or compress it" if kind == "image" else "Trim or compress it"
        raise MediaError(
            f"This {kind} is {_bytes_words(size, up=True)}; {kind}s can be up to {_bytes_words(limit)}. "
            f"{advice} and upload it again.",
            "too_big",
        )


def _bytes_words(size: int, *, up: bool = False) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{_one_decimal(value, up=up)} {unit}"
    return f"{size} bytes"


def _one_decimal(value: float, *, up: bool = False) -> str:
    """A measured size is rounded up and keeps its decimal ("1.1 GB", never "1.0 GB" for a file over
    a 1 GB limit; "2.0 GB"); a limit drops a ``.0`` ("1 GB")."""
    if up:
        return f"{math.ceil(value * 10) / 10:,.1f}"
    text = f"{value:,.1f}"
    return text.removesuffix(".0")
