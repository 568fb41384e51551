"""Beat housekeeping: abandoned uploads, expired exports, stored files no row points to."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from assets import storage
from assets.models import Asset, Export, Upload


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
