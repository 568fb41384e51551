"""How the API shows the objects it returns (plain dicts the routers' schemas validate)."""

from __future__ import annotations

from assets import storage
from assets.models import Asset, Collection, Upload


def media_url(asset: Asset, variant: str = "preview") -> str:
    """A short-lived, absolute URL of ``asset``'s ``variant`` (else its original) that works
    without a session (``storage.api_url``)."""
    return storage.api_url(asset.org, asset.variants.get(variant) or asset.original_key)


def asset_brief(asset: Asset | None) -> dict | None:
    if asset is None:
        return None
    return {
        "id": asset.public_id,
        "title": asset.title,
        "width": asset.width,
        "height": asset.height,
        "url": media_url(asset),
    }


def asset_json(asset: Asset, *, full: bool = False) -> dict:
    data = {
        "id": asset.public_id,
        "kind": asset.kind,
        "source": asset.source,
        "title": asset.title,
        "width": asset.width,
        "height": asset.height,
        "duration": asset.duration,
        "nsfw": asset.nsfw,
        "liked": asset.liked,
        "created_at": asset.created_at,
        "thumbnail_url": media_url(asset, "thumb"),
        "preview_url": media_url(asset),
    }
    if full:
        data |= {
            "mime": asset.mime,
            "bytes": asset.bytes,
            "original_filename": asset.original_filename,
            "original_url": storage.api_url(asset.org, asset.original_key),
            "tags": sorted(tag.name for tag in asset.tags.all()),
            "collections": [c.public_id for c in asset.collections.all()],
            "character": asset.character.public_id if asset.character_id and asset.character else None,
            "metadata": asset.metadata,
        }
    return data


def collection_json(collection: Collection) -> dict:
    return {
        "id": collection.public_id,
        "name": collection.name,
        "description": collection.description,
        "assets": getattr(collection, "n", None),
        "created_at": collection.created_at,
    }


def upload_json(upload: Upload) -> dict:
    return {
        "id": upload.public_id,
        "filename": upload.filename,
        "size": upload.declared_size,
        "status": upload.status,
        "error": upload.error,
        "asset": upload.asset.public_id if upload.asset_id and upload.asset else None,
        "created_at": upload.created_at,
    }
