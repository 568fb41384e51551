"""Direct uploads: start (quota and type checked), receive the bytes, complete, cancel, and the
worker that turns a received upload into an asset."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assets import media, storage
from assets.models import Asset, Upload
from assets.selectors import storage_used
from assets.services.pipeline import CHUNK, asset_create_from_original, clean_filename, original_prepared
from billing import limits
from core import placement
from core.exceptions import DomainError
from orgs.models import Organization
from orgs.services import org_lock

logger = logging.getLogger(__name__)


def _check_quota(org: Organization, incoming: int, *, exclude_upload: Upload | None = None) -> None:
    pending = Upload.objects.filter(
        org=org, status__in=[Upload.Status.PENDING, Upload.Status.RECEIVED, Upload.Status.PROCESSING]
    )
    if exclude_upload is not None:
        pending = pending.exclude(pk=exclude_upload.pk)
    reserved = sum(pending.values_list("declared_size", flat=True))
    limits.storage_check(org, used=storage_used(org) + reserved, incoming=incoming)


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
    placement.started(upload)  # the project chosen with the upload, if any (core.placement)
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
    with placement.working_for(upload):  # the item lands in the project chosen with the upload
        _upload_process(upload)


def _upload_process(upload: Upload) -> None:
    try:
        with _local_copy(upload.key) as path, original_prepared(path) as original:
            # Duplicates are recognised by the file we keep, so the same photo with other
            # trailing bytes or metadata is still "already in your library".
            existing = Asset.objects.for_org(upload.org).filter(sha256=original.sha256).first()
            if existing:
                _finish_upload(upload, Upload.Status.DUPLICATE, asset=existing)
                placement.landed(existing)  # already in the library: still put it in the project
                return
            _check_quota(upload.org, original.size, exclude_upload=upload)
            asset = asset_create_from_original(
                org=upload.org, original=original, filename=upload.filename, created_by=upload.created_by
            )
        _finish_upload(upload, Upload.Status.DONE, asset=asset)
    except (media.MediaError, DomainError) as exc:
        _finish_upload(upload, Upload.Status.FAILED, error=exc.text if isinstance(exc, DomainError) else exc.message)
    except Exception:
        logger.exception("Processing upload %s failed", upload.pk)
        _finish_upload(
            upload, Upload.Status.FAILED, error="Something went wrong while processing this file. Try again."
        )


def _finish_upload(upload: Upload, status: str, *, asset: Asset | None = None, error: str = "") -> None:
    Upload.objects.filter(pk=upload.pk, status=Upload.Status.PROCESSING).update(
        status=status, asset=asset, error=error[:500], updated_at=timezone.now()
    )
    storage.delete(upload.key)
