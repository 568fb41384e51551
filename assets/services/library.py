"""Library edits: rename, tags, likes, deletes, one asset or a selection, and collections."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from assets import storage
from assets.models import Asset, Collection, CollectionItem, Tag
from assets.services.pipeline import asset_reindex
from core.exceptions import DomainError
from orgs.models import Organization

MAX_TAGS_PER_ASSET = 30
MAX_BULK = 500


@transaction.atomic
def asset_rename(*, asset: Asset, title: str) -> None:
    title = title.strip()
    if not title:
        raise DomainError("Give it a title.", field="title")
    Asset.objects.filter(pk=asset.pk).update(title=title[:200], updated_at=timezone.now())
    asset.title = title[:200]
    asset_reindex(asset.pk)


def parse_tags(text: str) -> list[str]:
    names: dict[str, str] = {}
    for raw in re.split(r"[,\n]", text):
        name = " ".join(raw.strip().lstrip("#").split())[:50]
        if name:
            names.setdefault(name.lower(), name)
    if len(names) > MAX_TAGS_PER_ASSET:
        raise DomainError(f"Use at most {MAX_TAGS_PER_ASSET} tags.", field="tags")
    return list(names.values())


def _tags_get_or_create(org: Organization, names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        tag = Tag.objects.for_org(org).annotate(lower=Lower("name")).filter(lower=name.lower()).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(org=org, name=name)
            except IntegrityError:
                tag = Tag.objects.for_org(org).annotate(lower=Lower("name")).get(lower=name.lower())
        tags.append(tag)
    return tags


@transaction.atomic
def asset_set_tags(*, asset: Asset, text: str) -> list[Tag]:
    tags = _tags_get_or_create(asset.org, parse_tags(text))
    asset.tags.set(tags)
    asset_reindex(asset.pk)
    return tags


@transaction.atomic
def asset_set_liked(*, asset: Asset, liked: bool) -> None:
    Asset.objects.filter(pk=asset.pk).update(liked=liked)
    asset.liked = liked


@transaction.atomic
def asset_delete(*, asset: Asset) -> None:
    keys = [asset.original_key, *asset.variants.values()]
    asset.delete()

    def delete_files() -> None:
        for key in keys:
            storage.delete(key)

    transaction.on_commit(delete_files)


# --- Bulk actions ------------------------------------------------------------------------------


def selected_assets(org: Organization, ids: list[str]):
    if not ids:
        raise DomainError("Select at least one item first.")
    if len(ids) > MAX_BULK:
        raise DomainError(f"Select at most {MAX_BULK} items at a time.")
    return Asset.objects.for_org(org).filter(public_id__in=ids)


@transaction.atomic
def assets_bulk_tag(*, org: Organization, ids: list[str], text: str) -> int:
    tags = _tags_get_or_create(org, parse_tags(text))
    if not tags:
        raise DomainError("Type at least one tag.", field="tags")
    assets = list(selected_assets(org, ids))
    for asset in assets:
        asset.tags.add(*tags)
        asset_reindex(asset.pk)
    return len(assets)


@transaction.atomic
def assets_bulk_like(*, org: Organization, ids: list[str], liked: bool) -> int:
    return selected_assets(org, ids).update(liked=liked)


@transaction.atomic
def assets_bulk_delete(*, org: Organization, ids: list[str]) -> int:
    assets = list(selected_assets(org, ids))
    for asset in assets:
        asset_delete(asset=asset)
    return len(assets)


@transaction.atomic
def collection_add(*, collection: Collection, ids: list[str]) -> int:
    assets = list(selected_assets(collection.org, ids))
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=collection, asset=a) for a in assets], ignore_conflicts=True
    )
    return len(assets)


@transaction.atomic
def collection_remove(*, collection: Collection, ids: list[str]) -> int:
    deleted, _ = CollectionItem.objects.filter(collection=collection, asset__public_id__in=ids).delete()
    return deleted


@transaction.atomic
def collection_create(*, org: Organization, user: User, name: str, description: str = "") -> Collection:
    name = " ".join(name.split())[:80]
    if not name:
        raise DomainError("Give the collection a name.", field="name")
    if Collection.objects.for_org(org).filter(name__iexact=name).exists():
        raise DomainError(f"There's already a collection called “{name}”.", field="name")
    return Collection.objects.create(org=org, name=name, description=description.strip()[:300], created_by=user)


@transaction.atomic
def collection_update(*, collection: Collection, name: str, description: str = "") -> None:
    name = " ".join(name.split())[:80]
    if not name:
        raise DomainError("Give the collection a name.", field="name")
    clash = Collection.objects.for_org(collection.org).filter(name__iexact=name).exclude(pk=collection.pk)
    if clash.exists():
        raise DomainError(f"There's already a collection called “{name}”.", field="name")
    collection.name, collection.description = name, description.strip()[:300]
    collection.save(update_fields=["name", "description", "updated_at"])


@transaction.atomic
def collection_delete(*, collection: Collection) -> None:
    collection.delete()
