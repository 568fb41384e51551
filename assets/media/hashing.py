"""File digests (exact duplicates) and picture hashes (near duplicates)."""

from __future__ import annotations

import hashlib

from PIL import Image

from assets.media.limits import StrPath

HASH_CHUNK = 1024 * 1024

# dHash distance (of 64 bits) at or under which two files are "near duplicates", i.e. the same
# picture saved again. Measured on 7 real photos and 8 generated ones: re-encoding (JPEG q30 or
# q95, WebP, PNG), resizing to 50% or 25%, grayscale and ±10% brightness move the hash by 0–5 bits;
# +20% contrast up to 6; a 2% crop up to 7 and a 5% crop up to 14 (not caught, deliberately).
# Different pictures: median 32 bits apart (what independent hashes give), closest pair 20.
# Personae makes many deliberately similar images of one character, so the threshold stays just
# above "same picture re-saved" rather than reaching towards "similar composition".
NEAR_DUPLICATE_DISTANCE = 6


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
