"""Images: safe decoding under our pixel caps, the preview, thumb and dHash we keep, and the
full-resolution normalised image AI edits are sent (``normalised_image``)."""

from __future__ import annotations

import contextlib
import io
import math
import os
import threading
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageOps

from assets.media.hashing import dhash
from assets.media.limits import LIMITS, MediaError, StrPath
from assets.media.sniffing import Sniffed

pillow_heif.register_heif_opener()

# Derived files are baseline JPEG at quality 82: every browser shows them, encoding a 1024 px
# preview takes ~3 ms (WebP at similar quality took 35–130 ms here), and they are ~100 KB.
RENDITION_MIME = "image/jpeg"
RENDITION_QUALITY = 82
# After JPEG draft decoding the preview is at most a 2x downscale, where Hamming is sharp and
# alias-free and ~3x cheaper than Lanczos (which alone would blow the 120 ms budget here).
# The thumb is small, so it gets Lanczos after a cheap integer ``reduce()``.
PREVIEW_FILTER = Image.Resampling.HAMMING
# The image an edit model repaints: near-lossless (quality 95, no chroma subsampling), because
# what comes back is a new library image and every generation of JPEG loss would show.
NORMALISED_QUALITY = 95
THUMB_FILTER = Image.Resampling.LANCZOS


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    mime: str  # always RENDITION_MIME (image/jpeg)


@dataclass(frozen=True)
class ImageResult:
    mime: str
    extension: str
    width: int  # as displayed (after EXIF orientation), full resolution
    height: int
    thumb: Rendition
    preview: Rendition
    phash: int  # signed 64-bit dHash (fits a Postgres bigint)
    metadata: dict


_PIL_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
}
_FORMAT_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

_guard_lock = threading.Lock()
_guard_depth = 0
_guard_saved_cap: int | None = None
_guard_warnings: warnings.catch_warnings | None = None


@contextlib.contextmanager
def _pillow_guard():
    """Pillow's pixel cap at our limit, and its decompression-bomb warning raised as an error.

    Both are process-global, so concurrent calls share one setting: the first call in saves
    ``Image.MAX_IMAGE_PIXELS`` and enters ``warnings.catch_warnings()`` with
    ``simplefilter("error", DecompressionBombWarning)``; the last one out restores both. Nothing
    leaks, whatever the interleaving of our own calls. (Other threads changing warning filters at
    the same moment can still race with us: ``warnings`` is not thread-safe before Python 3.14.
    The explicit size checks in ``_decode`` don't depend on any of this.)
    """
    global _guard_depth, _guard_saved_cap, _guard_warnings
    with _guard_lock:
        if _guard_depth == 0:
            _guard_saved_cap = Image.MAX_IMAGE_PIXELS
            _guard_warnings = warnings.catch_warnings()
            _guard_warnings.__enter__()
            warnings.simplefilter("error", Image.DecompressionBombWarning)
        _guard_depth += 1
        Image.MAX_IMAGE_PIXELS = LIMITS.max_image_pixels
    try:
        yield
    finally:
        with _guard_lock:
            _guard_depth -= 1
            if _guard_depth == 0:
                Image.MAX_IMAGE_PIXELS = _guard_saved_cap
                assert _guard_warnings is not None
                _guard_warnings.__exit__(None, None, None)
                _guard_warnings = None


@dataclass
class _Decoded:
    image: Image.Image  # RGB, displayed orientation, at most ``target`` px on its longest side
    width: int  # full-resolution displayed size
    height: int
    metadata: dict


def process_image(path: StrPath, sniffed: Sniffed) -> ImageResult:
    """Validate and decode an image, and make its preview (1024 px), thumb (300 px) and dHash.

    Raises ``MediaError`` with code ``too_many_pixels``, ``too_large_dimensions`` or ``corrupt``.
    """
    fmt = _PIL_FORMATS.get(sniffed.mime)
    if fmt is None:
        raise ValueError(f"not an image type: {sniffed.mime}")
    decoded = _decode(path, fmt, LIMITS.preview_px)
    preview, thumb, phash = _renditions(decoded.image)
    return ImageResult(
        mime=sniffed.mime,
        extension=sniffed.extension,
        width=decoded.width,
        height=decoded.height,
        thumb=thumb,
        preview=preview,
        phash=phash,
        metadata=decoded.metadata,
    )


def normalised_image(path: StrPath, sniffed: Sniffed) -> Rendition:
    """The image as the library shows it, at full resolution: EXIF orientation applied, HEIC
    decoded, colours in sRGB, transparency flattened onto white, no metadata; a JPEG of exactly the
    asset's ``width`` × ``height``. Masks are painted on this image, so providers get this one.

    Same checks as ``process_image`` (pixel caps, bomb guard); raises ``MediaError`` likewise.
    """
    fmt = _PIL_FORMATS.get(sniffed.mime)
    if fmt is None:
        raise ValueError(f"not an image type: {sniffed.mime}")
    decoded = _decode(path, fmt, LIMITS.max_image_side)
    image = decoded.image
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=NORMALISED_QUALITY, subsampling=0)
    return Rendition(data=buffer.getvalue(), width=image.width, height=image.height, mime=RENDITION_MIME)


def _decode(path: StrPath, fmt: str, target: int) -> _Decoded:
    label = _FORMAT_LABELS[fmt]
    with _pillow_guard():
        try:
            im = Image.open(path, formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(_declared_size(path, fmt)) from None
        except Exception as exc:  # untrusted bytes: any parser error means a broken file
            raise _corrupt(label, exc) from None
        with im:
            width, height = im.size
            _check_dimensions(width, height)
            source_mode = im.mode
            has_alpha = _has_alpha(im)
            frames = getattr(im, "n_frames", 1)
            icc = im.info.get("icc_profile") or None
            try:
                if fmt == "JPEG" and target < max(width, height):
                    # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below the target size.
                    longest = max(width, height)
                    im.draft(None, (-(-target * width // longest), -(-target * height // longest)))
                im.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels((width, height)) from None
            except Exception as exc:
                raise _corrupt(label, exc) from None
            orientation, had_gps = _orientation_and_gps(im, fmt)  # after load: PNG's getexif() would load
            image = _normalize_mode(im, keep_cmyk=icc is not None)
            image = _fit(image, target, PREVIEW_FILTER)
            if fmt != "HEIF" and orientation != 1:  # libheif applies HEIF's own transforms itself
                # After scaling (the longest side is the same either way): rotating 1024 px is ~4x
                # cheaper than rotating the draft. ``info`` (EXIF included) is carried by copies.
                ImageOps.exif_transpose(image, in_place=True)
    image, icc_converted = _to_srgb(image, icc)
    image = _flatten(image)
    if fmt != "HEIF" and orientation in (5, 6, 7, 8):  # libheif reports the size as displayed
        width, height = height, width
    return _Decoded(
        image=image,
        width=width,
        height=height,
        metadata={
            "format": label,
            "mode": source_mode,
            "has_alpha": has_alpha,
            "orientation_applied": orientation,
            "frames": frames,
            "color_converted_to_srgb": icc_converted,
            "had_gps": had_gps,  # whether the original had location data (never copied)
        },
    )


def _check_dimensions(width: int, height: int) -> None:
    if width * height > LIMITS.max_image_pixels:
        raise _too_many_pixels((width, height))
    if max(width, height) > LIMITS.max_image_side:
        raise MediaError(
            f"This image is {width:,} × {height:,} pixels; images can be at most {LIMITS.max_image_side:,} "
            "pixels on their longest side. Resize it and upload it again.",
            "too_large_dimensions",
        )
    if width < 1 or height < 1:
        raise MediaError("This image has no pixels (0 × 0). Export it again and re-upload.", "corrupt")


def _too_many_pixels(size: tuple[int, int] | None) -> MediaError:
    limit = _megapixels(LIMITS.max_image_pixels)
    if size is None:
        return MediaError(
            f"This image is larger than {limit} megapixels, our limit. Resize it and upload it again.",
            "too_many_pixels",
        )
    width, height = size
    return MediaError(
        f"This image is {width:,} × {height:,} pixels ({_megapixels(width * height, up=True)} megapixels); "
        f"the limit is {limit} megapixels. Resize it and upload it again.",
        "too_many_pixels",
    )


def _megapixels(pixels: int, *, up: bool = False) -> str:
    value = pixels / 1_000_000
    if up:
        value = math.ceil(value * 10) / 10
    return f"{value:,.1f}".removesuffix(".0")


def _declared_size(path: StrPath, fmt: str) -> tuple[int, int] | None:
    """The size a file's header declares, read without Pillow's bomb check (for the message only)."""
    try:
        factory, _accept = Image.OPEN[fmt]
        with open(path, "rb") as fp:
            return factory(fp, os.fspath(path)).size
    except Exception:
        return None


def _corrupt(label: str, exc: BaseException) -> MediaError:
    reason = str(exc).lower()
    if isinstance(exc, Image.UnidentifiedImageError) or "cannot identify" in reason:
        detail = f"it isn't a readable {label} file"
    elif "truncated" in reason or isinstance(exc, EOFError):
        detail = "the file ends too early, probably cut off while copying or uploading"
    else:
        detail = f"its {label} data couldn't be decoded"
    return MediaError(f"This image is damaged or incomplete ({detail}). Export it again and re-upload.", "corrupt")


def _orientation_and_gps(im: Image.Image, fmt: str) -> tuple[int, bool]:
    try:
        exif = im.getexif()
        orientation = exif.get(0x0112, 1)
        had_gps = bool(exif.get_ifd(0x8825))
    except Exception:  # malformed EXIF: decode the pixels as they are
        orientation, had_gps = 1, False
    if fmt == "HEIF":
        orientation = im.info.get("original_orientation") or 1
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    return orientation, had_gps


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _normalize_mode(im: Image.Image, *, keep_cmyk: bool) -> Image.Image:
    """RGB, or RGBA when there is transparency, or CMYK when an ICC profile will convert it."""
    mode = im.mode
    if mode == "RGB" and "transparency" not in im.info:
        return im
    if mode == "CMYK":
        return im if keep_cmyk else im.convert("RGB")
    if mode.startswith("I;16") or mode == "I":  # 16-bit grayscale PNG: scale, don't clip
        return im.convert("I").point(lambda value: value * (1 / 256)).convert("RGB")
    if _has_alpha(im):
        return im.convert("RGBA")
    return im.convert("RGB")


def _fit(im: Image.Image, max_side: int, resample: Image.Resampling, reducing_gap: float = 2.0) -> Image.Image:
    """Scale down to at most ``max_side`` on the longest side; never up. Beyond ``reducing_gap`` times
    the target, Pillow first shrinks by an integer factor with a fast box ``reduce()``."""
    width, height = im.size
    longest = max(width, height)
    if longest <= max_side:
        return im
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return im.resize(size, resample, reducing_gap=reducing_gap)


def _to_srgb(im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bool]:
    if icc and im.mode in ("RGB", "RGBA", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if im.mode == "CMYK" or "srgb" not in (ImageCms.getProfileDescription(profile) or "").lower():
                output = "RGBA" if im.mode == "RGBA" else "RGB"
                converted = ImageCms.profileToProfile(im, profile, _SRGB, outputMode=output)
                if converted is not None:  # None only with inPlace=True
                    return converted, True
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: use the pixels as they are
    if im.mode == "CMYK":
        return im.convert("RGB"), False
    return im, False


def _flatten(im: Image.Image) -> Image.Image:
    if im.mode == "RGBA":
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        return background
    return im if im.mode == "RGB" else im.convert("RGB")


def _renditions(image: Image.Image) -> tuple[Rendition, Rendition, int]:
    """(preview, thumb, dHash) from an RGB image already at most preview size."""
    preview = _fit(image, LIMITS.preview_px, PREVIEW_FILTER)
    thumb = _fit(preview, LIMITS.thumb_px, THUMB_FILTER, reducing_gap=1.5)  # 1024 -> reduce(2) -> Lanczos
    return _encode(preview), _encode(thumb), dhash(thumb)


def _encode(im: Image.Image) -> Rendition:
    im.info = {}  # nothing of the original's metadata (EXIF, XMP, ICC, comments) may be written
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=RENDITION_QUALITY)
    return Rendition(data=buffer.getvalue(), width=im.width, height=im.height, mime=RENDITION_MIME)
