"""Writes for the library: uploads, the processing pipeline, asset edits, collections, exports.

Other apps create assets through ``asset_create_from_bytes``, ``asset_create_from_url`` and
``asset_create_from_provider_output``; each runs the same validation and processing as an upload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path, PurePath

import httpx
from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from assets import media, storage
from assets.models import Asset, Collection, CollectionItem, Export, Tag, Upload
from assets.selectors import storage_used
from core.exceptions import DomainError
from orgs.models import Organization
from orgs.services import org_lock

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
MAX_TAGS_PER_ASSET = 30
MAX_BULK = 500


# --- Helpers -----------------------------------------------------------------------------------


def clean_filename(name: str) -> str:
    """The last path component, without control characters; kept for display and downloads only."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\r\n\t")
    return name.strip().lstrip(".")[:255] or "untitled"


def title_from_filename(name: str) -> str:
    stem = Path(clean_filename(name)).stem
    return re.sub(r"[_]+", " ", stem).strip()[:200] or "Untitled"


def _human_bytes(n: int) -> str:
    """Sizes in messages read the same as on the page (Django's filesizeformat)."""
    return filesizeformat(n).replace("\xa0", " ")


def _check_quota(org: Organization, incoming: int, *, exclude_upload: Upload | None = None) -> None:
    pending = Upload.objects.filter(
        org=org, status__in=[Upload.Status.PENDING, Upload.Status.RECEIVED, Upload.Status.PROCESSING]
    )
    if exclude_upload is not None:
        pending = pending.exclude(pk=exclude_upload.pk)
    reserved = sum(pending.values_list("declared_size", flat=True))
    used = storage_used(org) + reserved
    quota = org.plan.storage_bytes
    if used + incoming > quota:
        raise DomainError(
            f"Your library is full: {_human_bytes(used)} of {_human_bytes(quota)} used, and this file is "
            f"{_human_bytes(incoming)}. Delete files you no longer need, or upgrade your plan for more storage."
        )


def asset_reindex(asset_id: int) -> None:
    """Refresh the full-text document: title (A), tags (B), prompt (C)."""
    asset = Asset.objects.get(pk=asset_id)
    tags = " ".join(asset.tags.values_list("name", flat=True))
    Asset.objects.filter(pk=asset_id).update(
        search=SearchVector(Value(asset.title), weight="A", config="english")
        + SearchVector(Value(tags), weight="B", config="english")
        + SearchVector(Value(asset.prompt), weight="C", config="english")
    )


@contextmanager
def _local_copy(key: str):
    """The stored object as a local temporary file (the processing tools need a path)."""
    fd, path = tempfile.mkstemp(prefix="personae-")
    try:
        with os.fdopen(fd, "wb") as out, storage.storage().open(key, "rb") as src:
            shutil.copyfileobj(src, out, CHUNK)
        yield Path(path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


@contextmanager
def uploaded_file_path(upload):
    """A file posted to a form, as a path on disk (Django keeps small uploads in memory; the
    processing tools need a path). A temporary copy is removed afterwards."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    fd, path = tempfile.mkstemp(prefix="personae-upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield Path(path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


# --- The pipeline ------------------------------------------------------------------------------


def asset_create_from_file(
    *,
    org: Organization,
    path: Path,
    filename: str,
    source: str = Asset.Source.UPLOAD,
    created_by: User | None = None,
    title: str = "",
    parents: Iterable[Asset] = (),
    metadata: dict | None = None,
    nsfw: bool = False,
) -> Asset:
    """Validate, process and store a local file as a new asset. Raises ``media.MediaError``.

    Storage writes happen before the row is committed; if anything fails they are removed, and a
    crash in between leaves only orphans that housekeeping deletes.
    """
    size = path.stat().st_size
    sniffed = media.sniff(path)
    media.check_size(sniffed.kind, size)
    if sniffed.kind == "image":
        result = media.process_image(path, sniffed)
        renditions = {"preview": result.preview, "thumb": result.thumb}
        duration = None
    else:
        result = media.process_video(path, sniffed)
        renditions = {"poster": result.poster, "thumb": result.thumb}
        duration = result.duration
    sha256 = media.sha256_file(path)

    asset = Asset(
        org=org,
        kind=sniffed.kind,
        source=source,
        title=(title or title_from_filename(filename))[:200],
        original_filename=clean_filename(filename),
        mime=sniffed.mime,
        bytes=size,
        width=result.width,
        height=result.height,
        duration=duration,
        sha256=sha256,
        phash=result.phash,
        metadata={**(metadata or {}), "media": result.metadata},
        nsfw=nsfw,
        created_by=created_by,
    )
    written: list[str] = []
    try:
        asset.original_key = storage.asset_key(org, asset, "original", sniffed.extension)
        with path.open("rb") as fh:
            written.append(storage.storage().save(asset.original_key, File(fh)))
        asset.original_key = written[-1]
        stored = size
        for name, rendition in renditions.items():
            ext = "webp" if rendition.mime == "image/webp" else "jpg"
            key = storage.storage().save(storage.asset_key(org, asset, name, ext), ContentFile(rendition.data))
            written.append(key)
            asset.variants[name] = key
            stored += len(rendition.data)
        asset.stored_bytes = stored
        with transaction.atomic():
            asset.near_duplicate_of = _near_duplicate(org, asset.phash)
            asset.save()
            if parents:
                asset.parents.set(list(parents))
            asset_reindex(asset.pk)
    except BaseException:
        for key in written:
            with suppress(Exception):
                storage.delete(key)
        raise
    return asset


def _near_duplicate(org: Organization, phash: int | None) -> Asset | None:
    if phash is None:
        return None
    from django.db.models.expressions import RawSQL

    distance = RawSQL("bit_count((phash # %s)::bit(64))", (phash,))
    return (
        Asset.objects.for_org(org)
        .exclude(phash__isnull=True)
        .annotate(distance=distance)
        .filter(distance__lte=media.NEAR_DUPLICATE_DISTANCE)
        .order_by("distance", "created_at")
        .first()
    )


def asset_create_from_bytes(*, org: Organization, data: bytes, filename: str, **kwargs) -> Asset:
    fd, path = tempfile.mkstemp(prefix="personae-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return asset_create_from_file(org=org, path=Path(path), filename=filename, **kwargs)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


def asset_create_from_url(
    *, org: Organization, url: str, filename: str = "", max_bytes: int | None = None, client=None, **kwargs
) -> Asset:
    """Fetch ``url`` (streamed, size-capped) into the library. Network errors raise ``DomainError``."""
    max_bytes = max_bytes or media.LIMITS.max_video_bytes
    fd, path = tempfile.mkstemp(prefix="personae-")
    try:
        try:
            with (
                client or httpx.Client(timeout=60, follow_redirects=True) as http,
                http.stream("GET", url) as response,
            ):
                if response.status_code >= 400:
                    raise DomainError(f"The file couldn't be fetched (the server answered {response.status_code}).")
                received = 0
                with os.fdopen(fd, "wb") as fh:
                    for chunk in response.iter_bytes(CHUNK):
                        received += len(chunk)
                        if received > max_bytes:
                            raise DomainError(f"The file is larger than {_human_bytes(max_bytes)}.")
                        fh.write(chunk)
        except httpx.HTTPError as exc:
            raise DomainError(f"The file couldn't be fetched ({exc.__class__.__name__}).") from exc
        name = filename or PurePath(httpx.URL(url).path).name or "download"
        return asset_create_from_file(org=org, path=Path(path), filename=name, **kwargs)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


def asset_create_from_provider_output(
    *, org: Organization, url: str, recipe: dict, parents: Iterable[Asset] = (), source=Asset.Source.GENERATED, **kwargs
) -> Asset:
    """Copy a provider's output (its URLs expire) into our storage, with the recipe that made it."""
    return asset_create_from_url(
        org=org, url=url, source=source, parents=parents, metadata={"recipe": recipe}, **kwargs
    )


def asset_create_file(
    *,
    org: Organization,
    key: str,
    filename: str,
    title: str,
    mime: str = "application/octet-stream",
    source: str = Asset.Source.GENERATED,
    created_by: User | None = None,
    metadata: dict | None = None,
) -> Asset:
    """A library row (kind FILE) for a non-media file already stored at ``key`` (e.g. a trained
    LoRA at ``storage.lora_key``). No renditions; deleting the asset deletes the file."""
    if not storage.key_belongs_to(org, key):
        raise ValueError(f"{key!r} is not in {org}'s storage")
    digest = hashlib.sha256()
    size = 0
    with storage.storage().open(key, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    asset = Asset.objects.create(
        org=org,
        kind=Asset.Kind.FILE,
        source=source,
        title=title[:200],
        original_filename=clean_filename(filename),
        original_key=key,
        mime=mime,
        bytes=size,
        stored_bytes=size,
        sha256=digest.hexdigest(),
        metadata=metadata or {},
        created_by=created_by,
    )
    asset_reindex(asset.pk)
    return asset


# --- Uploads -----------------------------------------------------------------------------------


@transaction.atomic
def upload_start(*, org: Organization, user: User, filename: str, size: int, content_type: str) -> tuple[Upload, dict]:
    """Declare a file; returns the upload and how the browser sends it (a PUT, direct or local)."""
    kind = media.ALLOWED.get(content_type) or _kind_from_name(filename)
    if kind is None:
        raise DomainError(
            f"“{clean_filename(filename)}” isn't a type we accept. Upload JPEG, PNG, WebP or HEIC images, "
            "or MP4, MOV or WebM videos."
        )
    try:
        media.check_size(kind, size)
    except media.MediaError as exc:
        raise DomainError(exc.message) from exc
    org_lock(org.pk)  # two drops at once can't both fit under the quota
    _check_quota(org, size)
    upload = Upload(
        org=org,
        filename=clean_filename(filename),
        declared_size=size,
        declared_type=content_type[:100],
        created_by=user,
    )
    upload.key = storage.upload_key(org, upload)
    upload.save()
    if storage.is_s3():
        target = storage.presigned_put(upload.key, content_type=content_type or "application/octet-stream", size=size)
    else:
        from django.urls import reverse

        target = {
            "method": "PUT",
            "url": reverse("assets:upload_data", args=[org.slug, upload.public_id]),
            "headers": {"Content-Type": "application/octet-stream"},
        }
    return upload, target


# What each file extension would be, from the media allow-list ("jpeg" is the common alias).
_EXTENSION_KIND = {f".{ext}": media.ALLOWED[mime] for mime, ext in media.EXTENSIONS.items()} | {".jpeg": "image"}


def _kind_from_name(filename: str) -> str | None:
    # Browsers leave the type empty for HEIC and some videos; the worker sniffs the real type anyway.
    return _EXTENSION_KIND.get(Path(filename).suffix.lower())


def upload_receive(*, upload: Upload, stream, content_length: int | None) -> None:
    """Stream a local upload's body to storage in chunks (never the whole file in memory)."""
    if upload.status != Upload.Status.PENDING:
        raise DomainError("This upload was already sent or cancelled.")
    if content_length is not None and content_length != upload.declared_size:
        raise DomainError("The file size doesn't match what was announced. Try the upload again.")
    fd, path = tempfile.mkstemp(prefix="personae-upload-")
    try:
        received = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                received += len(chunk)
                if received > upload.declared_size:
                    raise DomainError("The file is bigger than announced. Try the upload again.")
                out.write(chunk)
        if received != upload.declared_size:
            raise DomainError("The upload was interrupted before the whole file arrived. Try again.")
        # A repeated PUT (a browser retry) replaces the first copy; storage would otherwise save
        # beside it under another name and leave the first one orphaned.
        storage.delete(upload.key)
        with open(path, "rb") as fh:
            saved = storage.storage().save(upload.key, File(fh))
        if saved != upload.key:
            Upload.objects.filter(pk=upload.pk).update(key=saved)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


@transaction.atomic
def upload_complete(*, upload: Upload) -> Upload:
    """The browser says the file is in storage: check it is, then queue processing."""
    from assets.tasks import process_upload

    upload = Upload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != Upload.Status.PENDING:
        return upload
    if not storage.storage().exists(upload.key):
        raise DomainError("We didn't receive the file. Try the upload again.")
    if storage.size(upload.key) != upload.declared_size:
        storage.delete(upload.key)
        upload.status, upload.error = Upload.Status.FAILED, "The file that arrived isn't the size announced."
        upload.save(update_fields=["status", "error", "updated_at"])
        return upload
    upload.status = Upload.Status.RECEIVED
    upload.save(update_fields=["status", "updated_at"])
    transaction.on_commit(lambda: process_upload.delay(upload.pk))
    return upload


@transaction.atomic
def upload_cancel(*, upload: Upload) -> None:
    updated = Upload.objects.filter(pk=upload.pk, status__in=[Upload.Status.PENDING, Upload.Status.RECEIVED]).update(
        status=Upload.Status.CANCELLED, updated_at=timezone.now()
    )
    if updated:
        transaction.on_commit(lambda: storage.delete(upload.key))


def upload_process(*, upload_id: int) -> None:
    """Worker: turn a received upload into an asset, or refuse it with a reason. Idempotent."""
    claimed = Upload.objects.filter(pk=upload_id, status=Upload.Status.RECEIVED).update(
        status=Upload.Status.PROCESSING, updated_at=timezone.now()
    )
    if not claimed:
        return
    upload = Upload.objects.select_related("org__plan", "created_by").get(pk=upload_id)
    try:
        with _local_copy(upload.key) as path:
            sha256 = media.sha256_file(path)
            existing = Asset.objects.for_org(upload.org).filter(sha256=sha256).first()
            if existing:
                _finish_upload(upload, Upload.Status.DUPLICATE, asset=existing)
                return
            _check_quota(upload.org, path.stat().st_size, exclude_upload=upload)
            asset = asset_create_from_file(
                org=upload.org, path=path, filename=upload.filename, created_by=upload.created_by
            )
        _finish_upload(upload, Upload.Status.DONE, asset=asset)
    except (media.MediaError, DomainError) as exc:
        _finish_upload(upload, Upload.Status.FAILED, error=exc.message)
    except Exception:
        logger.exception("Processing upload %s failed", upload_id)
        _finish_upload(
            upload, Upload.Status.FAILED, error="Something went wrong while processing this file. Try again."
        )


def _finish_upload(upload: Upload, status: str, *, asset: Asset | None = None, error: str = "") -> None:
    Upload.objects.filter(pk=upload.pk, status=Upload.Status.PROCESSING).update(
        status=status, asset=asset, error=error[:500], updated_at=timezone.now()
    )
    storage.delete(upload.key)


# --- Asset edits -------------------------------------------------------------------------------


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
    transaction.on_commit(lambda: [storage.delete(k) for k in keys])


# --- Bulk actions ------------------------------------------------------------------------------


def _bulk(org: Organization, ids: list[str]):
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
    assets = list(_bulk(org, ids))
    for asset in assets:
        asset.tags.add(*tags)
        asset_reindex(asset.pk)
    return len(assets)


@transaction.atomic
def assets_bulk_like(*, org: Organization, ids: list[str], liked: bool) -> int:
    return _bulk(org, ids).update(liked=liked)


@transaction.atomic
def assets_bulk_delete(*, org: Organization, ids: list[str]) -> int:
    assets = list(_bulk(org, ids))
    for asset in assets:
        asset_delete(asset=asset)
    return len(assets)


@transaction.atomic
def collection_add(*, collection: Collection, ids: list[str]) -> int:
    assets = list(_bulk(collection.org, ids))
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


# --- Zip exports -------------------------------------------------------------------------------


@transaction.atomic
def export_create(*, org: Organization, user: User, ids: list[str]) -> Export:
    from assets.tasks import build_export

    asset_ids = list(_bulk(org, ids).values_list("pk", flat=True))
    if not asset_ids:
        raise DomainError("None of the selected items exist any more.")
    export = Export.objects.create(org=org, asset_ids=asset_ids, created_by=user)
    transaction.on_commit(lambda: build_export.delay(export.pk))
    return export


def export_build(*, export_id: int) -> None:
    """Worker: write the zip to a temp file entry by entry, then store it. Idempotent."""
    if not Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING, updated_at=timezone.now()
    ):
        return
    export = Export.objects.select_related("org").get(pk=export_id)
    assets = list(Asset.objects.for_org(export.org).filter(pk__in=export.asset_ids).order_by("created_at"))
    fd, path = tempfile.mkstemp(prefix="personae-export-", suffix=".zip")
    os.close(fd)
    try:
        used_names: set[str] = set()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for index, asset in enumerate(assets, start=1):
                name = _unique_member_name(asset, used_names)
                with storage.storage().open(asset.original_key, "rb") as src, archive.open(name, "w") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
                Export.objects.filter(pk=export.pk).update(progress=min(99, index * 100 // max(len(assets), 1)))
        key = storage.export_key(export.org, export)
        with open(path, "rb") as fh:
            key = storage.storage().save(key, File(fh))
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.READY,
            progress=100,
            key=key,
            bytes=os.path.getsize(path),
            expires_at=timezone.now() + timedelta(hours=settings.EXPORT_TTL_HOURS),
            updated_at=timezone.now(),
        )
    except Exception:
        logger.exception("Export %s failed", export_id)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error="The zip couldn't be built. Try again.", updated_at=timezone.now()
        )
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


def _unique_member_name(asset: Asset, used: set[str]) -> str:
    extension = Path(asset.original_key).suffix
    base = re.sub(r"[^\w\- ]+", "_", asset.title).strip() or "asset"
    name, n = f"{base}{extension}", 2
    while name.lower() in used:
        name, n = f"{base} ({n}){extension}", n + 1
    used.add(name.lower())
    return name


# --- Housekeeping ------------------------------------------------------------------------------


def library_housekeeping(*, now=None) -> dict:
    """Beat: drop abandoned uploads and expired exports, then objects no row points to."""
    now = now or timezone.now()
    # PROCESSING too: a worker killed mid-task (the hard time limit, a deploy) leaves the upload
    # claimed, and the redelivered task won't claim it again; hours later it is surely dead.
    stale = Upload.objects.filter(
        status__in=[Upload.Status.PENDING, Upload.Status.RECEIVED, Upload.Status.PROCESSING],
        updated_at__lte=now - timedelta(hours=settings.UPLOAD_ABANDON_HOURS),
    )
    abandoned = 0
    for upload in stale:
        if Upload.objects.filter(pk=upload.pk, status=upload.status).update(
            status=Upload.Status.ABANDONED, updated_at=now
        ):
            storage.delete(upload.key)
            abandoned += 1
    expired = 0
    for export in Export.objects.filter(status=Export.Status.READY, expires_at__lte=now):
        if Export.objects.filter(pk=export.pk, status=Export.Status.READY).update(
            status=Export.Status.EXPIRED, key="", updated_at=now
        ):
            storage.delete(export.key)
            expired += 1
    # Likewise a zip whose worker died stays "building" for ever (progress updates don't touch
    # updated_at, and the build's time limit is 30 minutes): give the person an answer.
    stuck = Export.objects.filter(
        status__in=[Export.Status.QUEUED, Export.Status.RUNNING],
        updated_at__lte=now - timedelta(hours=settings.EXPORT_TTL_HOURS),
    ).update(status=Export.Status.FAILED, error="The zip couldn't be built. Try again.", updated_at=now)
    orphans = delete_orphaned_objects(older_than=now - timedelta(hours=1))
    return {
        "abandoned_uploads": abandoned,
        "expired_exports": expired,
        "stuck_exports": stuck,
        "orphaned_objects": orphans,
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def delete_orphaned_objects(*, older_than, limit: int = 1000) -> int:
    """Delete stored asset files whose asset row is gone (e.g. a crash between write and commit)."""
    store = storage.storage()
    deleted = 0
    try:
        org_dirs, _ = store.listdir("orgs")
    except (FileNotFoundError, OSError):
        return 0
    for org_dir in org_dirs:
        try:
            asset_dirs, _ = store.listdir(f"orgs/{org_dir}/assets")
        except (FileNotFoundError, OSError):
            continue
        if not _is_uuid(org_dir):
            continue
        asset_dirs = [d for d in asset_dirs if _is_uuid(d)]
        known = {
            str(pid)
            for pid in Asset.objects.filter(org__public_id=org_dir, public_id__in=asset_dirs).values_list(
                "public_id", flat=True
            )
        }
        for asset_dir in asset_dirs:
            if asset_dir in known:
                continue
            prefix = f"orgs/{org_dir}/assets/{asset_dir}"
            _, files = store.listdir(prefix)
            for name in files:
                key = f"{prefix}/{name}"
                with suppress(Exception):
                    if store.get_modified_time(key) > older_than:
                        continue
                store.delete(key)
                deleted += 1
                if deleted >= limit:
                    return deleted
    return deleted
