"""Checking and processing uploaded media: what a file really is, whether we accept it, and the
small derived files (preview, thumbnail, video poster) and hashes we keep for it.

One module per job: ``sniffing`` (the real type), ``limits`` (what we accept, ``MediaError``,
``check_size``), ``images`` (decoding, renditions), ``video`` (ffmpeg probe, poster) and ``hashing``
(SHA-256, dHash). This package re-exports their public names, so callers use ``media.sniff`` etc.

Pure functions over local file paths: no ORM, no storage. The worker downloads an upload to a
temporary file, then calls, in this order::

    sniffed = sniff(path)                   # the real type, from the bytes, never the filename
    check_size(sniffed.kind, size)          # also used before upload with the declared size
    with clean_original(path, sniffed) as cleaned:   # trailing data, GPS, hidden scripts removed
        result = process_image(cleaned.path, sniffed)   # or process_video(path, sniffed) before cleaning
        digest = sha256_file(cleaned.path)

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
- Originals are kept clean (``cleaning``): nothing after the picture's end marker, no GPS, no
  comments or XMP/IPTC, no script hidden in metadata, pixels untouched; videos are remuxed without
  metadata or data tracks. A script or archive woven into the picture data itself is refused.
- Videos are read by the ``imageio-ffmpeg`` binary in a subprocess with a timeout, with the
  demuxer forced to the sniffed container and only the ``file`` protocol allowed; the file is
  never loaded into our memory.
"""

from assets.media.cleaning import Cleaned, clean_original
from assets.media.hashing import HASH_CHUNK, NEAR_DUPLICATE_DISTANCE, dhash, phash_distance, sha256_file
from assets.media.images import ImageResult, Rendition, normalised_image, process_image
from assets.media.limits import (
    ACCEPTED,
    ALLOWED,
    EXTENSIONS,
    LIMITS,
    Limits,
    MediaError,
    StrPath,
    check_size,
    photos_only,
)
from assets.media.sniffing import Sniffed, sniff
from assets.media.video import VideoResult, process_video

__all__ = [
    "ACCEPTED",
    "ALLOWED",
    "EXTENSIONS",
    "HASH_CHUNK",
    "LIMITS",
    "NEAR_DUPLICATE_DISTANCE",
    "Cleaned",
    "ImageResult",
    "Limits",
    "MediaError",
    "Rendition",
    "Sniffed",
    "StrPath",
    "VideoResult",
    "check_size",
    "clean_original",
    "dhash",
    "normalised_image",
    "phash_distance",
    "photos_only",
    "process_image",
    "process_video",
    "sha256_file",
    "sniff",
]
