"""Faces for the demo provider's renders, for tests and benchmarks of likeness scoring.

By default a demo render uses the character's own reference (or no face at all): scoring such a
render against the character measures nothing, so demo outputs are "not scored". When
``DEMO_FACE_POOL`` lists face photos, the demo pastes one of them, picked by seed, instead: a
pool of the character's photos and someone else's makes some renders look like the character and
some not, and scoring them is a real measurement of the pasted photo.
"""

from __future__ import annotations

from django.conf import settings
from PIL import Image, ImageOps


def pool() -> list[str]:
    return [str(path) for path in getattr(settings, "DEMO_FACE_POOL", []) if str(path).strip()]


def demo_face(reference: Image.Image | None, *, seed: int) -> Image.Image | None:
    """``pool[seed % len(pool)]`` loaded as an upright RGB image when ``DEMO_FACE_POOL`` is set,
    else ``reference`` (which may be None: no face)."""
    faces = pool()
    if not faces:
        return reference
    with Image.open(faces[seed % len(faces)]) as photo:
        return ImageOps.exif_transpose(photo).convert("RGB")
