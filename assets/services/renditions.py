"""Renditions made when first needed, not at upload: the ``edit`` image AI edits are sent.

An edit's mask is painted on the image as the library shows it (EXIF orientation applied, at the
asset's full ``width`` × ``height``), but the original file may be a sideways JPEG, a HEIC, or a
PNG with transparency, which a provider would read differently or not at all. So an edit sends
the ``edit`` variant instead: the original decoded the way the library decodes it, as a JPEG of
exactly that size. It is made once, on the first edit, and deleted with the asset like the other
variants; it isn't counted in the organisation's storage use (it is ours, a cache).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from assets import media, storage
from assets.models import Asset
from core.exceptions import DomainError

EDIT_VARIANT = "edit"


def asset_edit_image(asset: Asset) -> str:
    """The storage key of ``asset``'s ``edit`` image, made now if it doesn't exist yet.

    Raises ``DomainError`` when the original can't be read or decodes to another size than the
    library recorded (then a mask painted on it wouldn't fit).
    """
    if asset.kind != Asset.Kind.IMAGE:
        raise DomainError("Only images can be edited.")
    key = asset.variants.get(EDIT_VARIANT)
    if key and storage.storage().exists(key):
        return key
    rendition = _normalised(asset)
    if (rendition.width, rendition.height) != (asset.width, asset.height):
        raise DomainError(
            f"This image decodes to {rendition.width} × {rendition.height} px, not the "
            f"{asset.width} × {asset.height} px the library recorded, so a mask wouldn't fit it. Upload it again."
        )
    with transaction.atomic():
        # One writer at a time; a second one finds the first's file and keeps it.
        locked = Asset.objects.select_for_update().only("variants").get(pk=asset.pk)
        key = locked.variants.get(EDIT_VARIANT)
        if not (key and storage.storage().exists(key)):
            name = storage.asset_key(asset.org, asset, EDIT_VARIANT, "jpg")
            storage.delete(name)  # a file left by a rolled-back attempt: not referenced by any row
            key = storage.storage().save(name, ContentFile(rendition.data))
            locked.variants[EDIT_VARIANT] = key
            Asset.objects.filter(pk=asset.pk).update(variants=locked.variants)
    asset.variants = {**asset.variants, EDIT_VARIANT: key}
    return key


def _normalised(asset: Asset) -> media.Rendition:
    fd, name = tempfile.mkstemp(prefix="personae-edit-")
    path = Path(name)
    try:
        try:
            with os.fdopen(fd, "wb") as out, storage.storage().open(asset.original_key, "rb") as fh:
                shutil.copyfileobj(fh, out, 1024 * 1024)
        except (FileNotFoundError, OSError):
            raise DomainError("The original file of this image is missing. Upload it again.") from None
        try:
            return media.normalised_image(path, media.sniff(path))
        except media.MediaError as exc:
            raise DomainError(f"The original file of this image can't be read: {exc.message}") from None
    finally:
        with suppress(FileNotFoundError):
            path.unlink()
