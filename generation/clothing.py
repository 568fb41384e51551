"""Clothing images: a photo of a garment uploaded with a Studio pack (or an edit), kept in the library
so the try-on can read it and the result's lineage can show it."""

from __future__ import annotations

from accounts.models import User
from assets import media
from assets.models import Asset
from assets.services import asset_create_from_file, uploaded_file_path
from core.exceptions import DomainError
from orgs.models import Organization

ACCEPTED = "Use a JPEG, PNG, WebP or HEIC photo of the garment."
NOT_AN_IMAGE = f"The clothing file is a video. {ACCEPTED}"


def clothing_store(*, org: Organization, user: User | None, upload, for_name: str) -> Asset:
    """Store an uploaded garment photo as a library image (or find the same photo already there).
    Raises ``DomainError`` (field ``clothing``) with a plain reason when it isn't one."""
    with uploaded_file_path(upload) as path:
        try:
            sniffed = media.sniff(path)
            if sniffed.kind != "image":
                raise DomainError(NOT_AN_IMAGE, field="clothing")
            same = Asset.objects.for_org(org).filter(sha256=media.sha256_file(path), kind=Asset.Kind.IMAGE).first()
            if same is not None:  # the same photo again: use the one in the library
                return same
            return asset_create_from_file(
                org=org,
                path=path,
                filename=upload.name or "clothing.jpg",
                title=f"Clothing for {for_name}",
                created_by=user,
            )
        except media.MediaError as exc:
            raise DomainError(media.photos_only(exc.message, ACCEPTED), field="clothing") from None
