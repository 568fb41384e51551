"""What a file really is, from its first bytes: ``sniff`` and the refusals of what we don't take."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

import filetype

from assets.media.limits import ACCEPTED, ALLOWED, EXTENSIONS, MediaError, StrPath

SNIFF_BYTES = 16 * 1024


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: str  # "image" | "video"
    extension: str  # canonical, without the dot: jpg, png, webp, heic, heif, mp4, mov, webm


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
