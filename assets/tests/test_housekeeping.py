"""The beat task that tidies the library: abandoned uploads, expired zips, orphaned files."""

import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from assets import services, tasks
from assets.models import Export, Upload
from assets.tests.factories import AssetFactory, UploadFactory, asset_files, jpeg_bytes, stored_files
from tests.factories import OrganizationFactory

HOUR = timedelta(hours=1)


def _age(path, hours: float) -> None:
    then = (timezone.now() - timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def _orphan(media_root, org_public_id, hours_old: float) -> str:
    """A file under an asset folder no asset row owns, as a crash between write and commit leaves."""
    key = f"orgs/{org_public_id}/assets/{uuid.uuid4()}/original.jpg"
    path = media_root / key
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8\xff leftover")
    _age(path, hours_old)
    return key


# --- Zip exports ---------------------------------------------------------------------------------


@pytest.fixture
def ready_export(org, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_TTL_HOURS = 2
    asset = AssetFactory(org=org)
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_create(org=org, user=None, ids=[str(asset.public_id)])
    export.refresh_from_db()
    assert export.status == Export.Status.READY
    return export


def test_a_zip_is_kept_for_export_ttl_hours(org, ready_export, media_root):
    assert ready_export.expires_at - ready_export.updated_at < 2 * HOUR + timedelta(seconds=5)
    assert ready_export.expires_at - ready_export.updated_at >= 2 * HOUR - timedelta(seconds=5)

    result = services.library_housekeeping(now=ready_export.expires_at - timedelta(minutes=1))

    assert result["expired_exports"] == 0
    assert Export.objects.get().status == Export.Status.READY
    assert ready_export.key in stored_files(media_root)


def test_a_zip_expires_after_export_ttl_hours_and_its_file_goes(org, ready_export, media_root):
    result = services.library_housekeeping(now=ready_export.expires_at + timedelta(minutes=1))

    export = Export.objects.get()
    assert result["expired_exports"] == 1
    assert (export.status, export.key) == (Export.Status.EXPIRED, "")
    assert ready_export.key not in stored_files(media_root)
    assert services.library_housekeeping(now=ready_export.expires_at + 2 * HOUR)["expired_exports"] == 0


@pytest.mark.parametrize("status", [Export.Status.QUEUED, Export.Status.RUNNING])
def test_a_zip_whose_worker_died_is_failed_instead_of_building_for_ever(org, settings, status):
    asset = AssetFactory(org=org)
    stuck = Export.objects.create(org=org, asset_ids=[asset.pk], status=status, progress=40)
    building = Export.objects.create(org=org, asset_ids=[asset.pk], status=status, progress=40)
    Export.objects.filter(pk=stuck.pk).update(
        updated_at=timezone.now() - timedelta(hours=settings.EXPORT_TTL_HOURS, minutes=1)
    )

    assert services.library_housekeeping()["stuck_exports"] == 1

    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (Export.Status.FAILED, "The zip couldn't be built. Try again.")
    assert Export.objects.get(pk=building.pk).status == status


# --- Uploads -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Upload.Status.PENDING, Upload.Status.RECEIVED, Upload.Status.PROCESSING])
def test_an_upload_left_unfinished_is_abandoned_and_its_file_deleted(org, settings, media_root, status):
    # PROCESSING: the worker was killed mid-task, and a redelivered task won't claim it again.
    stale = UploadFactory(org=org, data=b"x" * 100, status=status)
    fresh = UploadFactory(org=org, data=b"y" * 100, status=status)
    Upload.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - timedelta(hours=settings.UPLOAD_ABANDON_HOURS, minutes=1)
    )

    result = services.library_housekeeping()

    assert result["abandoned_uploads"] == 1
    assert Upload.objects.get(pk=stale.pk).status == Upload.Status.ABANDONED
    assert Upload.objects.get(pk=fresh.pk).status == status
    assert stored_files(media_root) == {fresh.key}


def test_finished_uploads_are_left_alone(org, settings):
    for status in (Upload.Status.DONE, Upload.Status.FAILED, Upload.Status.CANCELLED, Upload.Status.DUPLICATE):
        UploadFactory(org=org, status=status)
    Upload.objects.update(updated_at=timezone.now() - timedelta(days=30))

    assert services.library_housekeeping()["abandoned_uploads"] == 0
    assert not Upload.objects.filter(status=Upload.Status.ABANDONED).exists()


def test_an_abandoned_upload_can_no_longer_be_completed(client, org, people, settings):
    upload = UploadFactory(org=org, data=jpeg_bytes(seed=60), created_by=people.owner)
    Upload.objects.update(updated_at=timezone.now() - timedelta(hours=settings.UPLOAD_ABANDON_HOURS + 1))
    services.library_housekeeping()
    client.force_login(people.owner)

    response = client.post(f"/o/{org.slug}/library/uploads/{upload.public_id}/complete/")

    assert response.json()["status"] == "abandoned"
    assert response.json()["done"] is True


# --- Orphaned files ----------------------------------------------------------------------------


def test_files_no_asset_owns_are_deleted_once_old_enough(org, people, media_root):
    asset = AssetFactory(org=org)
    for key in asset_files(asset):
        _age(media_root / key, 48)  # old, but owned
    old_orphan = _orphan(media_root, org.public_id, hours_old=2)
    new_orphan = _orphan(media_root, org.public_id, hours_old=0.1)  # maybe an asset being saved right now
    deleted_org = _orphan(media_root, uuid.uuid4(), hours_old=5)  # an org that no longer exists
    # Not an asset folder: left for whoever owns it.
    strange = media_root / f"orgs/{org.public_id}/assets/not-a-uuid/file.bin"
    strange.parent.mkdir(parents=True)
    strange.write_bytes(b"?")
    _age(strange, 5)

    result = services.library_housekeeping()

    assert result["orphaned_objects"] == 2
    assert stored_files(media_root) == asset_files(asset) | {new_orphan, str(strange.relative_to(media_root))}
    assert old_orphan not in stored_files(media_root)
    assert deleted_org not in stored_files(media_root)


def test_another_orgs_asset_folder_name_does_not_protect_an_orphan(org, media_root):
    other = OrganizationFactory()
    theirs = AssetFactory(org=other)
    # A folder in our org named after their asset: still nobody's.
    key = f"orgs/{org.public_id}/assets/{theirs.public_id}/original.jpg"
    (media_root / key).parent.mkdir(parents=True)
    (media_root / key).write_bytes(b"x")
    _age(media_root / key, 3)

    services.library_housekeeping()

    assert stored_files(media_root) == asset_files(theirs)


def test_orphans_are_deleted_in_bounded_batches(org, media_root):
    for _ in range(3):
        _orphan(media_root, org.public_id, hours_old=2)

    assert services.delete_orphaned_objects(older_than=timezone.now() - HOUR, limit=2) == 2
    assert len(stored_files(media_root)) == 1


def test_housekeeping_on_an_empty_store_does_nothing(db, media_root):
    assert tasks.library_housekeeping() == {
        "abandoned_uploads": 0,
        "expired_exports": 0,
        "stuck_exports": 0,
        "orphaned_objects": 0,
    }


def test_the_beat_task_runs_housekeeping(org, media_root):
    _orphan(media_root, org.public_id, hours_old=2)

    result = tasks.library_housekeeping.delay().get()

    assert result["orphaned_objects"] == 1
    assert stored_files(media_root) == set()
