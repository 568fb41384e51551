"""EXIF (a TIFF structure) edited in place: the GPS block removed, everything else byte for byte.

The edit keeps the block's length, so it works wherever EXIF sits: a JPEG APP1 segment, a PNG
``eXIf`` chunk, a WebP ``EXIF`` chunk, or a HEIC ``Exif`` item whose position other boxes point at.
The GPS pointer (tag 0x8825) is taken out of its IFD (later entries move up, the freed 12 bytes
are zeroed) and the GPS IFD with its values is zeroed. Orientation, camera and date tags stay.
"""

from __future__ import annotations

import re
import struct

from PIL import Image

GPS_POINTER = 0x8825
ORIENTATION = 0x0112
# Bytes per value of each TIFF field type (1 BYTE … 13 IFD); unknown types count as bytes.
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
# What makes metadata a script or an archive as well: a PHP or HTML script, a ZIP's records.
PAYLOAD = re.compile(rb"<\?php|<script|<html|<iframe|PK\x03\x04|PK\x05\x06|PK\x01\x02", re.IGNORECASE)


class Unreadable(ValueError):
    """The EXIF block isn't a TIFF structure we can walk safely."""


def scrub_gps(tiff: bytearray) -> bool:
    """Remove the GPS IFD from ``tiff`` (the bytes after ``Exif\\0\\0``) in place. True if there was one.

    Raises ``Unreadable`` for a block whose structure doesn't hold together.
    """
    order = _byte_order(tiff)
    found = False
    ifd = _u32(tiff, order, 4)
    seen: set[int] = set()
    for _ in range(2):  # IFD0 and IFD1 (the thumbnail's); GPS belongs in IFD0
        if ifd == 0 or ifd in seen:
            break
        seen.add(ifd)
        count = _u16(tiff, order, ifd)
        end = ifd + 2 + 12 * count
        _need(tiff, end + 4)
        for k in range(count):
            entry = ifd + 2 + 12 * k
            if _u16(tiff, order, entry) != GPS_POINTER:
                continue
            gps = _u32(tiff, order, entry + 8)
            tiff[entry : end - 12 + 4] = tiff[entry + 12 : end + 4]  # later entries and the next-IFD pointer move up
            tiff[end - 12 + 4 : end + 4] = bytes(12)
            struct.pack_into(order + "H", tiff, ifd, count - 1)
            _blank_ifd(tiff, order, gps, keep=(ifd, end + 4))
            found = True
            break
        ifd = _u32(tiff, order, ifd + 2 + 12 * _u16(tiff, order, ifd))
    return found


def orientation(tiff: bytes | bytearray) -> int:
    """The Orientation tag (1–8), read the way the library reads it (Pillow); 1 if absent or odd."""
    try:
        exif = Image.Exif()
        exif.load(b"Exif\x00\x00" + bytes(tiff))
        value = exif.get(ORIENTATION, 1)
        return value if isinstance(value, int) and 1 <= value <= 8 else 1
    except Exception:
        return 1


def has_gps(tiff: bytes | bytearray) -> bool:
    try:
        exif = Image.Exif()
        exif.load(b"Exif\x00\x00" + bytes(tiff))
        return GPS_POINTER in exif or bool(exif.get_ifd(GPS_POINTER))
    except Exception:
        return False


def minimal(orientation_value: int) -> bytes:
    """A fresh EXIF block (TIFF bytes) holding only the Orientation tag."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation_value
    return exif.tobytes()[6:]  # Pillow writes the "Exif\0\0" header first


def _blank_ifd(tiff: bytearray, order: str, ifd: int, *, keep: tuple[int, int]) -> None:
    """Zero an IFD and its out-of-line values, never touching the ``keep`` range (the IFD that
    pointed here), whatever a crafted offset says."""

    def zero(start: int, stop: int) -> None:
        start, stop = max(start, 0), min(stop, len(tiff))
        for a, b in ((start, min(stop, keep[0])), (max(start, keep[1]), stop)):
            if a < b:
                tiff[a:b] = bytes(b - a)

    if ifd + 2 > len(tiff):
        return
    count = _u16(tiff, order, ifd)
    for k in range(count):
        entry = ifd + 2 + 12 * k
        if entry + 12 > len(tiff):
            break
        kind, n = struct.unpack_from(order + "HI", tiff, entry + 2)
        size = _TYPE_SIZES.get(kind, 1) * n
        if size > 4:
            offset = _u32(tiff, order, entry + 8)
            zero(offset, offset + size)
    zero(ifd, ifd + 2 + 12 * count + 4)


def _byte_order(tiff: bytes | bytearray) -> str:
    if tiff[:4] == b"II*\x00":
        return "<"
    if tiff[:4] == b"MM\x00*":
        return ">"
    raise Unreadable("not a TIFF header")


def _need(tiff: bytes | bytearray, end: int) -> None:
    if end > len(tiff):
        raise Unreadable("an offset points past the end of the block")


def _u16(tiff: bytes | bytearray, order: str, at: int) -> int:
    _need(tiff, at + 2)
    return struct.unpack_from(order + "H", tiff, at)[0]


def _u32(tiff: bytes | bytearray, order: str, at: int) -> int:
    _need(tiff, at + 4)
    return struct.unpack_from(order + "I", tiff, at)[0]
