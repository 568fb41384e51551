"""Clean originals: the file we keep is the picture or video and nothing else, and tells no one where
it was taken.

Images are rewritten at the container level, never re-encoded, so their pixels stay bit for bit:

- **JPEG**: segments are copied up to the end-of-image marker; kept are the picture's own
  (tables, frame, scans), JFIF, EXIF (GPS removed in place, orientation kept), ICC colour profiles
  and Adobe's colour-transform flag. Comments, XMP, IPTC/Photoshop blocks (which carry place names
  and GPS too), MPF and other application segments are dropped.
- **PNG**: chunks up to ``IEND``; picture and colour chunks kept, ``eXIf`` kept without GPS, text
  chunks (comments, XMP, "Raw profile" EXIF copies) and unknown ancillary chunks dropped.
- **WebP**: the RIFF chunks its header counts; ``EXIF`` kept without GPS, ``XMP`` and unknown
  chunks dropped, the ``VP8X`` flags and RIFF size fixed.
- **HEIC**: other boxes point at byte positions in the file, so nothing may move: the EXIF GPS
  block and the XMP packet are blanked in place, ``free``/``skip``/unknown top-level boxes
  zeroed, and what follows the last box the picture needs is cut.

Anything after the end of the picture (a ZIP or a PHP script appended to make a polyglot, a motion
photo's video, a gain map) is dropped, and so is a script hidden in the metadata: those files are
**cleaned**, and the uploader is told what was removed. What can't be separated from the picture
— a ZIP archive or a PHP script woven into the compressed picture data itself, still found after
cleaning — is **refused** (``MediaError`` code ``polyglot``).

Videos are remuxed by ffmpeg with stream copy (no re-encoding): only the picture and sound tracks
are kept (data tracks such as GPS telemetry, chapter-less timed metadata and cover art are
dropped) and all container and stream metadata (``location``, dates, device) is removed. Display
rotation is side data, not metadata, and survives.
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from assets.media import exif
from assets.media.limits import MediaError, StrPath
from assets.media.sniffing import Sniffed

LOCATION = "the location (GPS) it was taken at"
METADATA = "comments and XMP/IPTC metadata (which can hold place names)"
SCRIPT_IN_METADATA = "a script or archive hidden in its metadata"
_CORRUPT = "This image is damaged or incomplete ({detail}). Export it again and re-upload."
_SCAN_CHUNK = 8 * 1024 * 1024
_PHP = re.compile(rb"<\?php\s", re.IGNORECASE)


@dataclass(frozen=True)
class Cleaned:
    path: Path  # the file to keep: a cleaned copy, or the one given when nothing had to go
    removed: tuple[str, ...]  # what was taken out, in words for the person who uploaded it


@contextmanager
def clean_original(path: StrPath, sniffed: Sniffed) -> Iterator[Cleaned]:
    """The original as we keep it (see the module docstring). A cleaned copy lives only inside
    the ``with`` block; the given file is never changed.

    Raises ``MediaError`` with code ``corrupt`` (an image whose structure doesn't hold together),
    ``polyglot`` (a script or archive that can't be separated from the picture) or ``video_rewrite``.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix="personae-clean-")
    os.close(fd)
    out = Path(name)
    try:
        if sniffed.kind == "video":
            from assets.media.video import remux_without_metadata

            removed = remux_without_metadata(path, sniffed, out)
        else:
            data = path.read_bytes()
            cleaned, notes = _CLEANERS[sniffed.mime](data)
            removed = tuple(dict.fromkeys(notes))
            if cleaned == data:
                out.unlink()
                out = path
            else:
                out.write_bytes(cleaned)
        _refuse_polyglot(out, sniffed)
        yield Cleaned(path=out, removed=removed)
    finally:
        if out != path:
            with suppress(FileNotFoundError):
                out.unlink()


def _refuse_polyglot(path: Path, sniffed: Sniffed) -> None:
    """After cleaning nothing but the picture is left; if it still reads as a ZIP or carries a
    PHP opening tag, the payload is inside the picture data, where we can't remove it."""
    what = "a ZIP archive" if zipfile.is_zipfile(path) else ("a PHP script" if _contains_php(path) else None)
    if what is None:
        return
    noun = "video" if sniffed.kind == "video" else "picture"
    raise MediaError(
        f"This file is also {what}, hidden inside the {noun} data itself, where we can't remove it without "
        f"changing the {noun}. We don't accept files that are also programs or archives. Export the {noun} "
        "again from an editor and upload that.",
        "polyglot",
    )


def _contains_php(path: Path) -> bool:
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            if _PHP.search(tail + chunk):
                return True
            tail = chunk[-8:]
    return False


def _trailing(rest: bytes) -> list[str]:
    """A note for bytes found after the end of the picture, saying what they look like."""
    if not rest:
        return []
    if not rest.strip(b"\x00"):
        return []  # padding some cameras add: nothing to tell
    if b"PK\x03\x04" in rest or b"PK\x05\x06" in rest:
        what = "a ZIP archive"
    elif _PHP.search(rest) or b"<?=" in rest:
        what = "a PHP script"
    elif re.search(rb"<script|<html|<iframe", rest, re.IGNORECASE):
        what = "a web page or script"
    elif b"ftyp" in rest[:64]:
        what = "a video, as phones add to motion photos"
    elif rest.startswith(b"\xff\xd8"):
        what = "a second picture, such as a depth map or HDR gain map"
    else:
        what = "unknown data"
    return [f"{_size_words(len(rest))} after the end of the picture ({what})"]


def _size_words(n: int) -> str:
    if n < 1024:
        return f"{n} byte{'s' if n != 1 else ''}"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _exif_block(tiff: bytes) -> tuple[bytes, list[str]]:
    """EXIF without GPS, or just the orientation if it can't be edited safely ('' for none)."""
    before = exif.orientation(tiff)
    had_gps = exif.has_gps(tiff)
    notes = [LOCATION] if had_gps else []
    buffer = bytearray(tiff)
    try:
        exif.scrub_gps(buffer)
        usable = not exif.has_gps(buffer) and exif.orientation(buffer) == before
    except exif.Unreadable:
        usable = False
    if usable and exif.PAYLOAD.search(buffer):
        notes.append(SCRIPT_IN_METADATA)
        usable = False
    if usable:
        return bytes(buffer), notes
    return (exif.minimal(before) if before != 1 else b""), notes


# --- JPEG ----------------------------------------------------------------------------------------

_SOS, _EOI, _COM = 0xDA, 0xD9, 0xFE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0–7: no length
_KEEP_APP = {0xE0: (b"JFIF\x00",), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}


def _clean_jpeg(data: bytes) -> tuple[bytes, list[str]]:
    out = bytearray(b"\xff\xd8")
    notes: list[str] = []
    at, size = 2, len(data)
    while True:
        next_ff = data.find(b"\xff", at)
        if next_ff < 0:
            return bytes(out), notes  # ends without an end marker: the decoder judges it
        at = next_ff
        while at < size and data[at] == 0xFF:  # fill bytes
            at += 1
        if at >= size:
            return bytes(out), notes
        marker = data[at]
        at += 1
        if marker == _EOI:
            out += b"\xff\xd9"
            return bytes(out), notes + _trailing(data[at:])
        if marker in _STANDALONE:
            out += bytes((0xFF, marker))
            continue
        if at + 2 > size:
            raise MediaError(_CORRUPT.format(detail="the file ends too early"), "corrupt")
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2 or at + length > size:
            raise MediaError(_CORRUPT.format(detail="a segment runs past the end of the file"), "corrupt")
        payload = data[at + 2 : at + length]
        segment = bytes((0xFF, marker)) + data[at : at + length]
        at += length
        if marker == _SOS:
            out += segment
            at = _copy_scan(data, at, out)
        elif marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            block, block_notes = _exif_block(payload[6:])
            notes += block_notes
            if block:
                body = b"Exif\x00\x00" + block
                out += b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
        elif 0xE0 <= marker <= 0xEF or marker == _COM:
            if payload.startswith(_KEEP_APP.get(marker, ())):
                out += segment
            elif marker in (0xE1, 0xED, _COM) and METADATA not in notes:  # XMP, IPTC, comments
                notes.append(METADATA)
        else:
            out += segment


def _copy_scan(data: bytes, at: int, out: bytearray) -> int:
    """Copy entropy-coded data up to the next real marker (not a stuffed 0xFF00 or a restart)."""
    start = at
    while True:
        ff = data.find(b"\xff", at)
        if ff < 0 or ff + 1 >= len(data):
            out += data[start:]
            return len(data)
        following = data[ff + 1]
        if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
            at = ff + 1 if following == 0xFF else ff + 2
            continue
        out += data[start:ff]
        return ff


# --- PNG -----------------------------------------------------------------------------------------

_PNG_KEEP = {
    *(b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"),
    *(b"bKGD", b"pHYs", b"hIST", b"sPLT", b"cICP", b"mDCV", b"mDCv", b"cLLI", b"cLLi", b"acTL", b"fcTL", b"fdAT"),
}
_PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt"}


def _clean_png(data: bytes) -> tuple[bytes, list[str]]:
    out = bytearray(data[:8])
    notes: list[str] = []
    at = 8
    while True:
        if at + 12 > len(data):
            raise MediaError(_CORRUPT.format(detail="the file ends before the end of the picture"), "corrupt")
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            raise MediaError(_CORRUPT.format(detail="the file ends too early"), "corrupt")
        chunk = data[at:end]
        at = end
        if kind == b"eXIf":
            block, block_notes = _exif_block(chunk[8:-4])
            notes += block_notes
            if block:
                out += _png_chunk(b"eXIf", block)
        elif kind in _PNG_KEEP or not kind[:1].islower():  # unknown critical chunks: the decoder judges
            out += chunk
        elif kind in _PNG_TEXT and METADATA not in notes:
            notes.append(METADATA)
        if kind == b"IEND":
            return bytes(out), notes + _trailing(data[at:])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


# --- WebP ----------------------------------------------------------------------------------------

_WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}


def _clean_webp(data: bytes) -> tuple[bytes, list[str]]:
    riff_end = 8 + int.from_bytes(data[4:8], "little")
    if riff_end > len(data) or riff_end < 12:
        raise MediaError(_CORRUPT.format(detail="the file ends too early"), "corrupt")
    notes: list[str] = []
    chunks: list[tuple[bytes, bytes]] = []
    at = 12
    while at + 8 <= riff_end:
        kind = data[at : at + 4]
        length = int.from_bytes(data[at + 4 : at + 8], "little")
        body = data[at + 8 : at + 8 + length]
        if at + 8 + length > riff_end:
            raise MediaError(_CORRUPT.format(detail="a chunk runs past the end of the file"), "corrupt")
        at += 8 + length + (length & 1)
        if kind == b"EXIF":
            has_header = body.startswith(b"Exif\x00\x00")
            block, block_notes = _exif_block(body[6:] if has_header else body)
            notes += block_notes
            if block:
                chunks.append((kind, block))
        elif kind in _WEBP_KEEP:
            chunks.append((kind, body))
        elif kind == b"XMP " and METADATA not in notes:
            notes.append(METADATA)
    kinds = {kind for kind, _ in chunks}
    out = bytearray()
    for kind, body in chunks:
        if kind == b"VP8X":
            flags = body[0] & ~0x0C  # EXIF (0x08) and XMP (0x04) flags: set again below if kept
            flags |= 0x08 if b"EXIF" in kinds else 0
            body = bytes((flags,)) + body[1:]
        out += kind + len(body).to_bytes(4, "little") + body + (b"\x00" if len(body) & 1 else b"")
    cleaned = b"RIFF" + (len(out) + 4).to_bytes(4, "little") + b"WEBP" + bytes(out)
    return cleaned, notes + _trailing(data[riff_end:])


# --- HEIC ----------------------------------------------------------------------------------------

_HEIF_NEEDED = {b"ftyp", b"meta", b"mdat", b"moov", b"moof", b"mfra", b"idat"}


def _clean_heif(data: bytes) -> tuple[bytes, list[str]]:
    buffer = bytearray(data)
    notes: list[str] = []
    boxes = _top_level_boxes(data)
    needed_end = max((end for kind, _start, _header, end in boxes if kind in _HEIF_NEEDED), default=len(data))
    for kind, start, header, end in boxes:
        if end <= needed_end and kind not in _HEIF_NEEDED and buffer[start + header : end].strip(b"\x00"):
            buffer[start + header : end] = bytes(end - start - header)
            if "other embedded data" not in notes:
                notes.append("other embedded data")
    info = _heif_info(data)
    tiff = info.get("exif") or b""
    tiff = tiff[6:] if tiff.startswith(b"Exif\x00\x00") else tiff
    if tiff and (at := data.find(tiff)) >= 0:
        block, block_notes = _exif_block(tiff)
        notes += block_notes
        if block != tiff:
            buffer[at : at + len(tiff)] = (
                block.ljust(len(tiff), b"\x00") if len(block) <= len(tiff) else bytes(len(tiff))
            )
    elif tiff and exif.has_gps(tiff):
        raise MediaError(
            "We couldn't remove the location (GPS) from this HEIC photo. Convert it to JPEG and upload it again.",
            "location_not_removable",
        )
    xmp = info.get("xmp") or b""
    if xmp and (at := data.find(xmp)) >= 0 and xmp.strip():
        buffer[at : at + len(xmp)] = b" " * len(xmp)
        notes.append(METADATA)
    return bytes(buffer[:needed_end]), notes + _trailing(data[needed_end:])


def _top_level_boxes(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """(type, start, header length, end) of each top-level ISO-BMFF box, up to what doesn't parse."""
    boxes = []
    at = 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        header = 8
        if size == 1:
            if at + 16 > len(data):
                break
            size, header = int.from_bytes(data[at + 8 : at + 16], "big"), 16
        elif size == 0:
            size = len(data) - at
        if size < header or at + size > len(data):
            break
        boxes.append((kind, at, header, at + size))
        at += size
    return boxes


def _heif_info(data: bytes) -> dict:
    import io

    import pillow_heif

    try:
        return dict(pillow_heif.open_heif(io.BytesIO(data)).info)
    except Exception:
        return {}  # unreadable: process_image refuses it with the reason


_CLEANERS = {
    "image/jpeg": _clean_jpeg,
    "image/png": _clean_png,
    "image/webp": _clean_webp,
    "image/heic": _clean_heif,
    "image/heif": _clean_heif,
}
