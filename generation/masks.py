"""Masks for inpainting and clothing changes: what a person painted in the browser, or what the
segmentation model found, as a clean black-and-white PNG of the image's exact size (white =
change), stored next to the job that uses it.
"""

from __future__ import annotations

import base64
import io

from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from assets import media, storage
from assets.services import uploaded_file_path
from core.exceptions import DomainError
from generation.models import EditJob

MASK_MAX_BYTES = 20 * 1024 * 1024
MASK_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
MASK_FORMATS_WORDS = "The mask has to be a PNG, JPEG or WebP image."
EMPTY_MASK = "Paint over the part you want to change."


def mask_read(upload, *, width: int, height: int) -> tuple[bytes, float]:
    """A painted mask (an uploaded file) as a clean black-and-white PNG of exactly ``width`` ×
    ``height``, and the share of the image it covers in percent. Raises ``DomainError`` (field
    ``mask``) with the reason in plain words."""
    if upload is None or not upload.size:
        raise DomainError(EMPTY_MASK, field="mask")
    if upload.size > MASK_MAX_BYTES:
        raise DomainError("The mask file is larger than 20 MB. Paint the mask on this page again.", field="mask")
    with uploaded_file_path(upload) as path:
        try:
            sniffed = media.sniff(path)
        except media.MediaError as exc:
            reason = exc.message.replace(media.ACCEPTED, MASK_FORMATS_WORDS)
            raise DomainError(f"The mask isn't an image we can use. {reason}", field="mask") from None
        if sniffed.mime not in MASK_FORMATS:
            raise DomainError(f"The mask isn't an image we can use. {MASK_FORMATS_WORDS}", field="mask")
        png, covered = mask_png(path, sniffed.mime, width=width, height=height, resize=False)
    if not covered:
        raise DomainError(EMPTY_MASK, field="mask")
    return png, covered


def mask_png(path, mime: str, *, width: int, height: int, resize: bool) -> tuple[bytes, float]:
    """Decode a mask, check (or, for a model's mask, fix) its size, and make it black and white:
    transparent and dark pixels keep, light ones change."""
    try:
        with Image.open(path, formats=[MASK_FORMATS[mime]]) as im:
            if im.size != (width, height) and not resize:
                raise DomainError(
                    f"The mask is {im.width} × {im.height} px but the image is {width} × {height} px. "
                    "Paint the mask on this page again.",
                    field="mask",
                )
            im.load()
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                grey = Image.composite(rgba.convert("L"), Image.new("L", rgba.size, 0), rgba.getchannel("A"))
            else:
                grey = im.convert("L")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DomainError("The mask file is damaged and couldn't be read.", field="mask") from exc
    if grey.size != (width, height):
        grey = grey.resize((width, height), Image.Resampling.NEAREST)
    binary = grey.point(lambda v: 255 if v >= 128 else 0)
    changed = binary.histogram()[255]
    buffer = io.BytesIO()
    binary.save(buffer, "PNG")
    covered = changed * 100 / (width * height)
    return buffer.getvalue(), (max(0.1, round(covered, 1)) if changed else 0.0)


def mask_save(job: EditJob, png: bytes) -> str:
    key = storage.edit_mask_key(job.org, job)
    storage.delete(key)  # a handler run again writes the same mask
    return storage.storage().save(key, ContentFile(png))


def mask_data_url(job: EditJob) -> str:
    """A job's stored mask as a data URL, for painting on again ('' if it is gone)."""
    if not job.mask_key:
        return ""
    try:
        with storage.storage().open(job.mask_key, "rb") as fh:
            data = fh.read(MASK_MAX_BYTES + 1)
    except FileNotFoundError:
        return ""
    if len(data) > MASK_MAX_BYTES:
        return ""
    return "data:image/png;base64," + base64.b64encode(data).decode()


def stored_mask(job: EditJob) -> bytes | None:
    if not job.mask_key:
        return None
    try:
        with storage.storage().open(job.mask_key, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
