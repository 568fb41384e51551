"""Checking and processing uploaded media: what a file really is, whether we accept it, and the
small derived files (preview, thumbnail, video poster) and hashes we keep for it.

Pure functions over local file paths: no ORM, no storage. The worker downloads an upload to a
temporary file, then calls, in this order::

    sniffed = sniff(path)                   # the real type, from the bytes, never the filename
    check_size(sniffed.kind, size)          # also used before upload with the declared size
    result = process_image(path, sniffed)   # or process_video(path, sniffed)
    digest = sha256_file(path)

Every refusal is a ``MediaError`` whose message is written for the person who uploaded the file
(what is wrong, what to do) and whose ``code`` is stable for the code.

Safety measures (after the reliability notes, §5.6 "Secure file upload handling"):

- Types are recognised by magic numbers, with our own parsing of ISO-BMFF ``ftyp`` brands
  (HEIC vs AVIF vs MP4 vs MOV) and EBML doctypes (WebM vs MKV); programs, archives, SVG and
  HTML are refused with their own messages.
- Images are opened with ``Image.open(path, formats=[<the sniffed format only>])``; the declared
  size is checked before any pixel is decoded, with Pillow's decompression-bomb warning raised to
  an error under our pixel cap (restored afterwards) plus our own explicit size checks.
  ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never touched, so truncated files are refused.
- Derived files are freshly encoded JPEGs from decoded pixels: EXIF orientation applied, colours
  converted to sRGB, transparency flattened onto white; no EXIF, GPS, XMP, ICC, comments or
  trailing bytes of the original survive.
- Videos are read by the ``imageio-ffmpeg`` binary in a subprocess with a timeout, with the
  demuxer forced to the sniffed container and only the ``file`` protocol allowed; the file is
  never loaded into our memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import subprocess
import tempfile
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NoReturn

import filetype
import pillow_heif
from PIL import Image, ImageCms, ImageOps

pillow_heif.register_heif_opener()

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

# Derived files are baseline JPEG at quality 82: every browser shows them, encoding a 1024 px
# preview takes ~3 ms (WebP at similar quality took 35–130 ms here), and they are ~100 KB.
RENDITION_MIME = "image/jpeg"
RENDITION_QUALITY = 82
# After JPEG draft decoding the preview is at most a 2x downscale, where Hamming is sharp and
# alias-free and ~3x cheaper than Lanczos (which alone would blow the 120 ms budget here).
# The thumb is small, so it gets Lanczos after a cheap integer ``reduce()``.
PREVIEW_FILTER = Image.Resampling.HAMMING
THUMB_FILTER = Image.Resampling.LANCZOS

# dHash distance (of 64 bits) at or under which two files are "near duplicates", i.e. the same
# picture saved again. Measured on 7 real photos and 8 generated ones: re-encoding (JPEG q30 or
# q95, WebP, PNG), resizing to 50% or 25%, grayscale and ±10% brightness move the hash by 0–5 bits;
# +20% contrast up to 6; a 2% crop up to 7 and a 5% crop up to 14 (not caught, deliberately).
# Different pictures: median 32 bits apart (what independent hashes give), closest pair 20.
# Personae makes many deliberately similar images of one character, so the threshold stays just
# above "same picture re-saved" rather than reaching towards "similar composition".
NEAR_DUPLICATE_DISTANCE = 6

FFMPEG_TIMEOUT = 30  # seconds, for each ffmpeg run (probe, duration fallback, poster)
MAX_VIDEO_STREAMS = 16  # iPhone MOVs carry 5-6 (video, audio, metadata tracks)
SNIFF_BYTES = 16 * 1024
HASH_CHUNK = 1024 * 1024

ACCEPTED = "We accept JPEG, PNG, WebP and HEIC images, and MP4, MOV and WebM videos."


def photos_only(message: str, accepted: str) -> str:
    """A refusal reworded for a place that takes photos only (training, clothing): no mention of
    videos, and ``accepted`` in place of the library's own list."""
    return (
        message.replace("not an image or video", "not a photo")
        .replace("the photos or videos inside", "the photos inside")
        .replace(ACCEPTED, accepted)
    )


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: str  # "image" | "video"
    extension: str  # canonical, without the dot: jpg, png, webp, heic, heif, mp4, mov, webm


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


@dataclass(frozen=True)
class VideoResult:
    mime: str
    extension: str
    width: int  # as displayed (after rotation metadata)
    height: int
    duration: float  # seconds
    poster: Rendition  # preview-size frame
    thumb: Rendition
    phash: int  # of the poster
    metadata: dict


# --- Sniffing --------------------------------------------------------------------------------

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2", b"miaf"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MP4_BRANDS = {
    *(b"iso" + bytes([c]) for c in b"m23456789"),
    *(b"mp41", b"mp42", b"mp71", b"avc1", b"dash", b"M4V ", b"M4VH", b"M4VP", b"f4v "),
    *(b"mmp4", b"MSNV", b"NDAS", b"XAVC"),
}
_THREE_GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gs7", b"3ge6", b"3ge7", b"3g2a", b"3g2b", b"3g2c"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
# Old QuickTime files may start with one of these atoms instead of ``ftyp``.
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

_EXECUTABLES = (
    (b"\x7fELF", "a Linux program (ELF)"),
    (b"MZ", "a Windows program (.exe or .dll)"),
    (b"\xfe\xed\xfa\xce", "a macOS program (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "a macOS program (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script"),
    (b"\x00asm", "a WebAssembly program"),
    (b"dex\n", "an Android program (DEX)"),
)
_ARCHIVES = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"PK\x07\x08", "a ZIP archive"),
    (b"\x1f\x8b", "a GZIP archive"),
    (b"BZh", "a BZIP2 archive"),
    (b"\xfd7zXZ\x00", "an XZ archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard archive"),
    (b"MSCF", "a Windows cabinet archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document or Windows installer"),
)
_FOUND_NAMES = {  # filetype's mime -> how we name it to a person
    "image/gif": "a GIF image",
    "image/bmp": "a BMP image",
    "image/tiff": "a TIFF image",
    "image/avif": "an AVIF image",
    "image/jxl": "a JPEG XL image",
    "image/jp2": "a JPEG 2000 image",
    "image/x-icon": "an icon file",
    "image/vnd.adobe.photoshop": "a Photoshop document",
    "image/x-canon-cr2": "a camera RAW photo",
    "image/x-canon-cr3": "a camera RAW photo",
    "image/x-nikon-nef": "a camera RAW photo",
    "application/pdf": "a PDF document",
    "application/postscript": "a PostScript document",
    "application/rtf": "an RTF document",
    "application/x-sqlite3": "a database file",
    "video/x-matroska": "a Matroska (MKV) video",
    "video/x-msvideo": "an AVI video",
    "video/x-flv": "a Flash video",
    "video/mpeg": "an MPEG video",
    "video/x-ms-wmv": "a Windows Media video",
    "video/x-m4v": "an M4V video",
    "video/3gpp": "a 3GP video",
}
_CONVERT_IMAGE = "Convert it to JPEG or PNG and upload it again."
_CONVERT_VIDEO = "Convert it to MP4 and upload it again."


def sniff(path: StrPath) -> Sniffed:
    """What the file really is, from its first bytes (the filename is never consulted).

    Raises ``MediaError`` with code ``empty``, ``svg``, ``executable`` or ``unsupported_type``.
    """
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise MediaError("This file is empty (0 bytes). Check the file and upload it again.", "empty")
    mime = _allowed_mime(head)
    if mime is not None:
        return Sniffed(mime=mime, kind=ALLOWED[mime], extension=EXTENSIONS[mime])
    _refuse(head)


def _allowed_mime(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"\x1a\x45\xdf\xa3") and _ebml_doctype(head) == b"webm":
        return "video/webm"
    mime, _found = _isobmff(head)
    return mime


def _ebml_doctype(head: bytes) -> bytes | None:
    # The EBML header's DocType element: ID 0x4282, a one-byte size (0x80 | length), the name.
    match = re.search(rb"\x42\x82([\x81-\x9f])", head[:64])
    if not match:
        return None
    length = match.group(1)[0] & 0x7F
    return head[match.end() : match.end() + length]


def _isobmff(head: bytes) -> tuple[str | None, str | None]:
    """(accepted mime, None) or (None, what we found) for ISO base media files; (None, None) if not one."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
            return "video/quicktime", None
        return None, None
    box_size = int.from_bytes(head[:4], "big")
    end = min(max(box_size, 16), len(head))
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and compatible & _AVIF_BRANDS and not compatible & _HEIC_BRANDS):
        return None, "an AVIF image"
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and compatible & _HEIC_BRANDS):
        return "image/heic", None
    if major in _HEIF_BRANDS:
        return "image/heif", None
    if major == b"qt  ":
        return "video/quicktime", None
    if major in _AUDIO_BRANDS:
        return None, "an audio file (M4A)"
    if major == b"crx ":
        return None, "a camera RAW photo (CR3)"
    if major in _THREE_GP_BRANDS:
        return None, "a 3GP video"
    if major in _MP4_BRANDS or compatible & _MP4_BRANDS:
        return "video/mp4", None
    if b"qt  " in compatible:
        return "video/quicktime", None
    brand = re.sub(rb"[^A-Za-z0-9]", b"", major).decode("ascii") or "unknown"
    return None, f"an MP4-style file of a kind we don't accept (brand “{brand}”)"


def _refuse(head: bytes) -> NoReturn:
    for magic, what in _EXECUTABLES:
        if head.startswith(magic):
            raise MediaError(f"This file is {what}, not an image or video. {ACCEPTED}", "executable")

    text = _markup_text(head)
    if text is not None:
        stripped = text.lstrip()
        if "<svg" in text:
            raise MediaError(
                "SVG images aren't accepted because they can carry scripts. Export it as PNG or JPEG.", "svg"
            )
        if stripped.startswith("<?php") or "<?php" in text:
            raise MediaError(f"This file is a PHP script, not an image or video. {ACCEPTED}", "executable")
        if stripped.startswith(("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")) or (
            "<html" in text or "<script" in text
        ):
            raise MediaError(f"This file is a web page (HTML), not an image or video. {ACCEPTED}", "unsupported_type")
        if stripped.startswith("<"):
            raise MediaError(f"This file is an XML document, not an image or video. {ACCEPTED}", "unsupported_type")

    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            raise MediaError(
                f"This file is {what}, not an image or video. Unpack it and upload the photos or videos "
                f"inside. {ACCEPTED}",
                "unsupported_type",
            )
    if len(head) > 262 and head[257:262] == b"ustar":
        raise MediaError(
            "This file is a TAR archive, not an image or video. Unpack it and upload the photos or videos "
            f"inside. {ACCEPTED}",
            "unsupported_type",
        )

    _mime, found = _isobmff(head)
    if found is None and head.startswith(b"\x1a\x45\xdf\xa3"):
        found = "a Matroska (MKV) video" if _ebml_doctype(head) == b"matroska" else "a Matroska-style file"
    guess = None if found else filetype.guess(head)
    if guess is not None:
        found = _FOUND_NAMES.get(guess.mime)
        if found is None:
            what = guess.mime.split("/")[0]
            found = (
                f"an audio file ({guess.extension.upper()})"
                if what == "audio"
                else f"a .{guess.extension} file ({guess.mime})"
            )
    if found is not None:
        if "audio" in found:
            hint = "Upload a video or an image instead."
        elif "video" in found:
            hint = _CONVERT_VIDEO
        elif "image" in found or "photo" in found:
            hint = _CONVERT_IMAGE
        else:
            hint = ""
        raise MediaError(f"This file is {found}, which we don't accept. {ACCEPTED} {hint}".strip(), "unsupported_type")
    if text is not None:
        raise MediaError(f"This file is a text file, not an image or video. {ACCEPTED}", "unsupported_type")
    raise MediaError(f"We couldn't recognise this file's type. {ACCEPTED}", "unsupported_type")


def _markup_text(head: bytes) -> str | None:
    """The head as lower-case text if it looks like text (so markup checks apply), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore").lower()
    sample = head.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in sample[:1024]:
        return None
    text = sample.decode("utf-8", errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:1024])
    if printable < 0.9 * min(len(text), 1024):
        return None
    return text.lower()


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


# --- Hashes ----------------------------------------------------------------------------------


def sha256_file(path: StrPath) -> str:
    """Hex SHA-256 of the file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as fh:
        while count := fh.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def dhash(image: Image.Image) -> int:
    """64-bit difference hash as a signed int: grayscale, 9x8, each bit = right pixel brighter than left."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        base = row * 9
        for col in range(8):
            value = (value << 1) | (pixels[base + col + 1] > pixels[base + col])
    return value - (1 << 64) if value >= (1 << 63) else value


def phash_distance(a: int, b: int) -> int:
    """Hamming distance between two 64-bit hashes (signed or unsigned)."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


# --- Images ----------------------------------------------------------------------------------

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
                if fmt == "JPEG":
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
                return ImageCms.profileToProfile(im, profile, _SRGB, outputMode=output), True
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


# --- Videos ----------------------------------------------------------------------------------

_DEMUXERS = {"video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska"}
_DURATION_RE = re.compile(r"^\s*Duration: (?:(\d+):(\d{2}):(\d{2}(?:\.\d+)?)|N/A)", re.MULTILINE)
_STREAM_RE = re.compile(r"^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\([^)]*\))?: (\w+): (.*)$")
_ROTATION_RE = re.compile(r"display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_SIZE_RE = re.compile(r"[ ,](\d{1,6})x(\d{1,6})[ ,\]]")
_FPS_RE = re.compile(r"([\d.]+)(k?) (?:fps|tbr)\b")
_TIME_RE = re.compile(r"time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


@dataclass
class _Stream:
    index: int
    kind: str  # "video", "audio", "subtitle", "data", "attachment"
    codec: str
    width: int = 0
    height: int = 0
    fps: float | None = None
    rotation: int = 0
    attached_pic: bool = False


@cache
def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _run_ffmpeg(args: list[str]) -> str:
    """Run ffmpeg with ``args``; its stderr as text. A timeout means an unreadable video."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed executable, no shell, our own arguments
            [_ffmpeg(), "-hide_banner", "-nostdin", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=FFMPEG_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(
            "We couldn't read this video in time; it may be damaged. Export it again and re-upload.", "corrupt"
        ) from None
    return completed.stderr.decode("utf-8", errors="replace")


def _input_args(path: StrPath, mime: str) -> list[str]:
    # Force the sniffed container's demuxer and allow only local files, so a crafted file can't
    # make ffmpeg switch formats (HLS playlists, concat lists) or open URLs.
    return ["-protocol_whitelist", "file", "-f", _DEMUXERS[mime], "-i", "file:" + os.path.abspath(path)]


def process_video(path: StrPath, sniffed: Sniffed) -> VideoResult:
    """Probe a video and make its poster (1024 px), thumb (300 px) and the poster's dHash.

    Raises ``MediaError`` with code ``corrupt``, ``no_video_stream``, ``too_many_streams``,
    ``too_large_dimensions`` or ``too_long``.
    """
    if sniffed.mime not in _DEMUXERS:
        raise ValueError(f"not a video type: {sniffed.mime}")
    duration, streams = _probe(path, sniffed.mime)
    videos = [s for s in streams if s.kind == "video" and not s.attached_pic]
    if not videos:
        only_audio = any(s.kind == "audio" for s in streams)
        raise MediaError(
            "This file has no video picture in it"
            + (" (it only contains sound)" if only_audio else "")
            + ". Upload a video file (MP4, MOV or WebM).",
            "no_video_stream",
        )
    if len(streams) > MAX_VIDEO_STREAMS:
        raise MediaError(
            f"This video has {len(streams)} tracks; we accept up to {MAX_VIDEO_STREAMS}. Export it again with "
            "just its picture and sound, and re-upload.",
            "too_many_streams",
        )
    video = videos[0]
    if video.width < 1 or video.height < 1:
        raise MediaError(
            "We couldn't read this video's picture size; it may be damaged. Export it again and re-upload.",
            "corrupt",
        )
    if max(video.width, video.height) > LIMITS.max_video_side:
        raise MediaError(
            f"This video is {video.width:,} × {video.height:,} pixels; videos can be at most "
            f"{LIMITS.max_video_side:,} pixels on their longest side. Export it at 4K or lower and upload it again.",
            "too_large_dimensions",
        )
    if duration is None:  # e.g. WebM recorded by a browser: count it by reading the packets
        duration = _measure_duration(path, sniffed.mime, video.index)
    if duration is None:
        raise MediaError(
            "We couldn't tell how long this video is; it may be damaged. Export it again and re-upload.", "corrupt"
        )
    if duration > LIMITS.max_video_seconds:
        raise MediaError(
            f"This video is {_duration_words(duration)} long; the limit is "
            f"{_limit_words(LIMITS.max_video_seconds)}. Trim it and upload it again.",
            "too_long",
        )

    with tempfile.TemporaryDirectory(prefix="personae-poster-") as tmp:
        poster_path = Path(tmp) / "poster.jpg"
        for at in dict.fromkeys((min(1.0, duration / 2), 0.0)):
            _run_ffmpeg(
                [
                    *("-loglevel", "error", "-ss", f"{at:.3f}"),  # before -i: seek, then decode to the time
                    *_input_args(path, sniffed.mime),
                    *("-map", f"0:{video.index}", "-frames:v", "1", "-q:v", "2"),
                    *("-f", "image2", "-update", "1", "-y", "file:" + str(poster_path)),
                ]
            )
            if poster_path.exists() and poster_path.stat().st_size > 0:
                break
        else:
            raise MediaError(
                "We couldn't read a picture from this video; it may be damaged or use an unusual format. "
                "Export it again as MP4 (H.264) and re-upload.",
                "corrupt",
            )
        try:
            decoded = _decode(poster_path, "JPEG", LIMITS.preview_px)
        except MediaError as exc:  # ffmpeg wrote something we can't read back
            raise MediaError(
                "We couldn't read a picture from this video; it may be damaged. Export it again and re-upload.",
                "corrupt",
            ) from exc
    poster, thumb, phash = _renditions(decoded.image)

    width, height = video.width, video.height
    if video.rotation in (90, 270):
        width, height = height, width
    audio = next((s for s in streams if s.kind == "audio"), None)
    return VideoResult(
        mime=sniffed.mime,
        extension=sniffed.extension,
        width=width,
        height=height,
        duration=round(duration, 3),
        poster=poster,
        thumb=thumb,
        phash=phash,
        metadata={
            "codec": video.codec,
            "fps": video.fps,
            "has_audio": audio is not None,
            "audio_codec": audio.codec if audio else None,
            "rotation": video.rotation,
            "streams": len(streams),
        },
    )


def _probe(path: StrPath, mime: str) -> tuple[float | None, list[_Stream]]:
    """Container duration (None if it doesn't say) and streams, from ``ffmpeg -i``'s report."""
    report = _run_ffmpeg(_input_args(path, mime))
    if "Input #0" not in report:
        raise MediaError(
            "This video is damaged or incomplete (we couldn't read its container). Export it again and re-upload.",
            "corrupt",
        )
    duration = None
    match = _DURATION_RE.search(report)
    if match and match.group(1) is not None:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    streams: list[_Stream] = []
    for line in report.splitlines():
        stream = _STREAM_RE.match(line)
        if stream:
            index, kind, rest = int(stream.group(1)), stream.group(2).lower(), stream.group(3)
            streams.append(_parse_stream(index, kind, rest))
            continue
        rotation = _ROTATION_RE.search(line)
        if rotation and streams:
            streams[-1].rotation = round(float(rotation.group(1))) % 360
    return duration, streams


def _parse_stream(index: int, kind: str, rest: str) -> _Stream:
    codec = rest.split(",")[0].split(" ")[0] if rest else ""
    stream = _Stream(index=index, kind=kind, codec=codec, attached_pic="(attached pic)" in rest)
    if kind == "video":
        size = _SIZE_RE.search(" " + rest + " ")
        if size:
            stream.width, stream.height = int(size.group(1)), int(size.group(2))
        fps = _FPS_RE.search(rest)
        if fps:
            stream.fps = round(float(fps.group(1)) * (1000 if fps.group(2) else 1), 3)
    return stream


def _measure_duration(path: StrPath, mime: str, index: int) -> float | None:
    """Duration by demuxing the video stream's packets without decoding them (fast, streaming)."""
    report = _run_ffmpeg([*_input_args(path, mime), "-map", f"0:{index}", "-c", "copy", "-f", "null", "-"])
    times = _TIME_RE.findall(report)
    if not times:
        return None
    hours, minutes, seconds = times[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _duration_words(seconds: float) -> str:
    total = math.ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _limit_words(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return "1 second" if seconds == 1 else f"{seconds} seconds"
