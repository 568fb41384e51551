"""Uploads, the way the browser makes them: declare → PUT the bytes → complete → poll the status.

Every refused file ends with a message for the person, no asset, and nothing left in storage;
the other files of the same drop are added all the same.
"""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from assets import services, storage
from assets.models import Asset, Upload
from assets.tests import media_samples as samples
from assets.tests.factories import (
    AssetRowFactory,
    UploadFactory,
    asset_files,
    jpeg_bytes,
    stored_files,
    upload_through_views,
)
from billing.models import Plan
from core.exceptions import DomainError

GB = 1024**3


def _start(client, org, filename, size, content_type=""):
    return client.post(
        reverse("assets:upload_start", args=[org.slug]),
        {"filename": filename, "size": size, "content_type": content_type},
    )


def _sample(tmp_path: Path, maker, name: str) -> bytes:
    return maker(tmp_path / name).read_bytes()


# --- Refused files -----------------------------------------------------------------------------

# name, how to make it, the type the browser reports, what the person reads
REFUSED_BY_THE_WORKER = {
    "renamed executable": (
        "holiday.jpg",
        samples.elf,
        "image/jpeg",
        "This file is a Linux program (ELF), not an image or video.",
    ),
    "renamed windows program": (
        "beach.png",
        samples.windows_exe,
        "image/png",
        "This file is a Windows program (.exe or .dll), not an image or video.",
    ),
    "truncated image": (
        "cut-off.jpg",
        samples.truncated_jpeg,
        "image/jpeg",
        "This image is damaged or incomplete",
    ),
    "100-megapixel PNG bomb": (
        "poster.png",
        samples.png_bomb,
        "image/png",
        "This image is 10,000 × 10,000 pixels (100 megapixels); the limit is 50 megapixels.",
    ),
    "zip bomb named .heic": (
        "IMG_0001.heic",
        samples.zip_bomb_heic,
        "",
        "This file is a ZIP archive, not an image or video.",
    ),
    "3-hour video": (
        "recital.mp4",
        samples.long_video,
        "video/mp4",
        "This video is 3 h 0 min long; the limit is 15 minutes. Trim it and upload it again.",
    ),
    "SVG renamed .jpg": (
        "logo.jpg",
        samples.svg_with_script,
        "image/jpeg",
        "SVG images aren't accepted because they can carry scripts.",
    ),
}


@pytest.mark.parametrize("case", REFUSED_BY_THE_WORKER)
def test_it_refuses_a_bad_file_with_a_clear_message_and_leaves_nothing_behind(owner, org, media_root, tmp_path, case):
    name, maker, content_type, message = REFUSED_BY_THE_WORKER[case]
    data = _sample(tmp_path, maker, name)

    result = upload_through_views(owner, org.slug, name, data, content_type)

    assert result["status"] == "failed"
    assert result["done"] is True
    assert message in result["error"]
    assert not Asset.objects.exists()
    assert stored_files(media_root) == set()


# name, declared size, declared type, what the person reads
REFUSED_BEFORE_SENDING = {
    "zero-byte file": ("empty.jpg", 0, "image/jpeg", "This file is empty (0 bytes)."),
    "SVG": ("logo.svg", 2_000, "image/svg+xml", "“logo.svg” isn't a type we accept."),
    "2 GB video": (
        "wedding.mp4",
        2 * GB,
        "video/mp4",
        "This video is 2.0 GB; videos can be up to 1 GB. Trim or compress it and upload it again.",
    ),
    "60 MB+ image": ("scan.png", 61 * 1024 * 1024, "image/png", "This image is 61.0 MB; images can be up to 60 MB."),
    "a PDF": ("contract.pdf", 5_000, "application/pdf", "“contract.pdf” isn't a type we accept."),
}


@pytest.mark.parametrize("case", REFUSED_BEFORE_SENDING)
def test_it_refuses_some_files_from_their_declaration_before_any_byte_is_sent(owner, org, media_root, case):
    name, size, content_type, message = REFUSED_BEFORE_SENDING[case]

    response = _start(owner, org, name, size, content_type)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert "target" not in response.json()  # nowhere to send the bytes
    assert not Upload.objects.exists()
    assert stored_files(media_root) == set()


def test_a_bad_file_does_not_stop_the_rest_of_the_drop(owner, org, media_root, tmp_path):
    drop = [
        ("beach.jpg", jpeg_bytes((800, 600), seed=1), "image/jpeg"),
        ("holiday.jpg", _sample(tmp_path, samples.elf, "elf.jpg"), "image/jpeg"),
        ("IMG_0002.heic", _sample(tmp_path, samples.heic, "real.heic"), ""),  # browsers often send no type
        ("poster.png", _sample(tmp_path, samples.png_bomb, "bomb.png"), "image/png"),
        ("clip.mp4", _sample(tmp_path, samples.mp4, "clip.mp4"), "video/mp4"),
        ("empty.jpg", b"", "image/jpeg"),
        ("cut-off.jpg", _sample(tmp_path, samples.truncated_jpeg, "cut.jpg"), "image/jpeg"),
    ]

    results = {name: upload_through_views(owner, org.slug, name, data, kind) for name, data, kind in drop}

    assert {name: r.get("status", "refused at start") for name, r in results.items()} == {
        "beach.jpg": "done",
        "holiday.jpg": "failed",
        "IMG_0002.heic": "done",
        "poster.png": "failed",
        "clip.mp4": "done",
        "empty.jpg": "refused at start",
        "cut-off.jpg": "failed",
    }
    assert "empty" in results["empty.jpg"]["error"]
    added = Asset.objects.for_org(org)
    assert sorted(added.values_list("title", "kind")) == [("IMG 0002", "image"), ("beach", "image"), ("clip", "video")]
    for name in ("beach.jpg", "IMG_0002.heic", "clip.mp4"):
        assert results[name]["asset_url"].startswith(f"/o/{org.slug}/library/")
    # Only the three assets' files are stored: no upload left in flight, nothing of the refused ones.
    assert stored_files(media_root) == set().union(*(asset_files(a) for a in added))


# --- Filenames -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_as", "kept_as", "title"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg", "passwd"),
        ("..\\..\\Windows\\win.ini.jpg", "win.ini.jpg", "win.ini"),
        ("🌅 Sunset at the pier.jpg", "🌅 Sunset at the pier.jpg", "🌅 Sunset at the pier"),
        ("évènement_d'été.jpg", "évènement_d'été.jpg", "évènement d'été"),
    ],
)
def test_a_filename_is_kept_for_display_but_never_used_in_storage_keys(
    owner, org, media_root, tmp_path, sent_as, kept_as, title
):
    result = upload_through_views(owner, org.slug, sent_as, jpeg_bytes(seed=4), "image/jpeg")

    assert result["status"] == "done"
    asset = Asset.objects.get()
    assert (asset.original_filename, asset.title) == (kept_as, title)
    for key in asset_files(asset):
        assert key.startswith(f"orgs/{org.public_id}/assets/{asset.public_id}/")
        assert key.isascii()
        assert kept_as.rsplit(".", 1)[0] not in key
    # Nothing was written outside MEDIA_ROOT, wherever the name pointed.
    assert [p.name for p in tmp_path.iterdir()] == ["media"]
    assert stored_files(media_root) == asset_files(asset)

    page = owner.get(reverse("assets:detail", args=[org.slug, asset.public_id])).content.decode()
    assert kept_as.replace("'", "&#x27;") in page


# --- Cancelling, and bodies that don't match ---------------------------------------------------


def test_cancelling_before_sending_ends_the_upload_and_refuses_its_bytes(owner, org, media_root):
    started = _start(owner, org, "beach.jpg", 1234, "image/jpeg").json()

    cancelled = owner.post(started["cancel_url"])
    late_put = owner.put(started["target"]["url"], b"x" * 1234, content_type="application/octet-stream")

    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["done"] is True
    assert late_put.status_code == 400
    assert late_put.json()["error"] == "This upload was already sent or cancelled."
    assert stored_files(media_root) == set()
    assert not Asset.objects.exists()


def test_cancelling_after_the_bytes_arrived_deletes_them(owner, org, media_root, django_capture_on_commit_callbacks):
    data = jpeg_bytes(seed=5)
    started = _start(owner, org, "beach.jpg", len(data), "image/jpeg").json()
    owner.put(started["target"]["url"], data, content_type="application/octet-stream")
    assert stored_files(media_root) == {Upload.objects.get().key}

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = owner.post(started["cancel_url"])
    completed = owner.post(started["complete_url"])

    assert cancelled.json()["status"] == completed.json()["status"] == "cancelled"
    assert stored_files(media_root) == set()
    assert not Asset.objects.exists()


def test_cancelling_while_queued_means_the_worker_adds_nothing(
    owner, org, media_root, django_capture_on_commit_callbacks
):
    data = jpeg_bytes(seed=6)
    started = _start(owner, org, "beach.jpg", len(data), "image/jpeg").json()
    owner.put(started["target"]["url"], data, content_type="application/octet-stream")
    with django_capture_on_commit_callbacks() as queued:  # the worker hasn't picked it up yet
        assert owner.post(started["complete_url"]).json()["status"] == "received"

    with django_capture_on_commit_callbacks(execute=True):
        owner.post(started["cancel_url"])
    for callback in queued:  # now the worker gets to it
        callback()

    assert Upload.objects.get().status == Upload.Status.CANCELLED
    assert not Asset.objects.exists()
    assert stored_files(media_root) == set()


@pytest.mark.parametrize(("declared", "sent"), [(1000, 1500), (1000, 400)])
def test_a_body_of_another_length_than_declared_is_refused_and_not_stored(owner, org, media_root, declared, sent):
    started = _start(owner, org, "beach.jpg", declared, "image/jpeg").json()

    put = owner.put(started["target"]["url"], b"x" * sent, content_type="application/octet-stream")
    complete = owner.post(started["complete_url"])

    assert put.status_code == 400
    assert put.json()["error"] == "The file size doesn't match what was announced. Try the upload again."
    assert complete.status_code == 400
    assert complete.json()["error"] == "We didn't receive the file. Try the upload again."
    assert stored_files(media_root) == set()


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (1500, "The file is bigger than announced. Try the upload again."),
        (400, "The upload was interrupted before the whole file arrived. Try again."),
    ],
)
def test_a_streamed_body_without_a_length_is_cut_at_the_declared_size(org, media_root, sent, message):
    upload = UploadFactory(org=org, declared_size=1000)

    with pytest.raises(DomainError) as refused:
        services.upload_receive(upload=upload, stream=io.BytesIO(b"x" * sent), content_length=None)

    assert refused.value.message == message
    assert stored_files(media_root) == set()


def test_a_direct_to_bucket_file_of_the_wrong_size_fails_on_complete(owner, org, media_root):
    # With S3/R2 the browser PUTs straight to the bucket; complete checks what actually arrived.
    upload = UploadFactory(org=org, declared_size=1000, data=b"x" * 999)

    completed = owner.post(reverse("assets:upload_complete", args=[org.slug, upload.public_id]))

    assert completed.json()["status"] == "failed"
    assert completed.json()["error"] == "The file that arrived isn't the size announced."
    assert stored_files(media_root) == set()


def test_sending_the_bytes_again_replaces_them_instead_of_leaving_a_copy(owner, org, media_root):
    data = jpeg_bytes(seed=7)
    started = _start(owner, org, "beach.jpg", len(data), "image/jpeg").json()

    for _ in range(2):  # e.g. the browser retried after a dropped connection
        assert owner.put(started["target"]["url"], data, content_type="application/octet-stream").status_code == 200

    assert stored_files(media_root) == {Upload.objects.get().key}


def test_completing_twice_adds_the_file_once(owner, org, media_root, django_capture_on_commit_callbacks):
    result = upload_through_views(owner, org.slug, "beach.jpg", jpeg_bytes(seed=8), "image/jpeg")
    upload = Upload.objects.get()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        again = owner.post(reverse("assets:upload_complete", args=[org.slug, upload.public_id]))

    assert result["status"] == again.json()["status"] == "done"
    assert queued == []
    assert Asset.objects.count() == 1


def test_processing_twice_adds_the_file_once(org, media_root, django_capture_on_commit_callbacks):
    upload = UploadFactory(org=org, data=jpeg_bytes(seed=9))
    with django_capture_on_commit_callbacks(execute=False):
        services.upload_complete(upload=upload)

    services.upload_process(upload_id=upload.pk)
    services.upload_process(upload_id=upload.pk)  # a redelivered task

    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE
    [asset] = Asset.objects.all()
    assert upload.asset == asset
    assert stored_files(media_root) == asset_files(asset)


def test_the_status_answer_only_says_done_once_it_is(owner, org, django_capture_on_commit_callbacks):
    data = jpeg_bytes(seed=10)
    started = _start(owner, org, "beach.jpg", len(data), "image/jpeg").json()

    assert started["status"] == "pending"
    assert started["done"] is False
    assert started["target"] == {
        "method": "PUT",
        "url": reverse("assets:upload_data", args=[org.slug, started["id"]]),
        "headers": {"Content-Type": "application/octet-stream"},
    }
    owner.put(started["target"]["url"], data, content_type="application/octet-stream")
    with django_capture_on_commit_callbacks(execute=False):
        owner.post(started["complete_url"])
    waiting = owner.get(started["status_url"]).json()
    assert (waiting["status"], waiting["status_label"], waiting["done"]) == ("received", "Received", False)


# --- Duplicates ----------------------------------------------------------------------------------


def test_the_same_file_twice_points_at_the_first_instead_of_adding_it_again(owner, org, media_root):
    data = jpeg_bytes((640, 480), seed=11)
    first = upload_through_views(owner, org.slug, "beach.jpg", data, "image/jpeg")

    second = upload_through_views(owner, org.slug, "beach copy.jpg", data, "image/jpeg")

    [asset] = Asset.objects.all()
    assert first["status"] == "done"
    assert second["status"] == "duplicate"
    assert second["status_label"] == "Already in your library"
    assert second["done"] is True
    assert second["asset_url"] == first["asset_url"] == reverse("assets:detail", args=[org.slug, asset.public_id])
    assert stored_files(media_root) == asset_files(asset)


def test_a_resized_re_encoded_copy_is_added_and_flagged_as_similar(owner, org, tmp_path):
    original = samples.jpeg(tmp_path / "a.jpg", (1600, 1200), seed=12)
    smaller = io.BytesIO()
    Image.open(original).resize((800, 600)).save(smaller, "JPEG", quality=60)
    upload_through_views(owner, org.slug, "beach.jpg", original.read_bytes(), "image/jpeg")
    other = upload_through_views(owner, org.slug, "forest.jpg", jpeg_bytes((800, 600), seed=99), "image/jpeg")

    result = upload_through_views(owner, org.slug, "beach small.jpg", smaller.getvalue(), "image/jpeg")

    assert result["status"] == other["status"] == "done"
    beach, forest, copy = (Asset.objects.get(title=t) for t in ("beach", "forest", "beach small"))
    assert copy.near_duplicate_of == beach
    assert beach.near_duplicate_of is None
    assert forest.near_duplicate_of is None

    page = owner.get(reverse("assets:library", args=[org.slug])).content.decode()
    tiles = {t.split('"', 1)[0]: t for t in page.split('data-id="')[1:]}
    assert ">Similar</span>" in tiles[str(copy.public_id)]
    assert ">Similar</span>" not in tiles[str(beach.public_id)]
    assert ">Similar</span>" not in tiles[str(forest.public_id)]
    detail = owner.get(reverse("assets:detail", args=[org.slug, copy.public_id])).content.decode()
    assert "Looks almost the same as" in detail
    assert reverse("assets:detail", args=[org.slug, beach.public_id]) in detail


# --- Storage quota -------------------------------------------------------------------------------


@pytest.fixture
def small_plan(org):
    """``org`` on the Free plan, shrunk to 1,000,000 bytes of storage for the test."""
    plan = Plan.objects.get(slug="free")
    plan.storage_bytes = 1_000_000
    plan.save(update_fields=["storage_bytes"])
    org.plan = plan
    org.save(update_fields=["plan"])
    return plan


def test_an_upload_beyond_the_quota_is_refused_with_a_plain_message(owner, org, small_plan, media_root):
    AssetRowFactory(org=org, stored_bytes=900_000)

    response = _start(owner, org, "beach.jpg", 200_000, "image/jpeg")

    assert response.status_code == 400
    assert response.json()["error"] == (
        "Your library is full: 878.9 KB of 976.6 KB used, and this file is 195.3 KB. "
        "Delete files you no longer need, or upgrade your plan for more storage."
    )
    assert not Upload.objects.exists()


def test_uploads_still_on_their_way_count_against_the_quota(owner, org, small_plan):
    first = _start(owner, org, "a.jpg", 600_000, "image/jpeg")
    refused = _start(owner, org, "b.jpg", 600_000, "image/jpeg")
    owner.post(first.json()["cancel_url"])
    accepted = _start(owner, org, "b.jpg", 600_000, "image/jpeg")

    assert first.status_code == 201
    assert refused.status_code == 400
    assert "Your library is full: 585.9 KB of 976.6 KB used" in refused.json()["error"]
    assert accepted.status_code == 201


def test_another_orgs_files_do_not_count_against_this_orgs_quota(owner, org, people, small_plan):
    AssetRowFactory(org=people.other_org, stored_bytes=990_000)

    assert _start(owner, org, "beach.jpg", 500_000, "image/jpeg").status_code == 201


def test_the_quota_is_checked_again_when_the_file_is_processed(org, small_plan, media_root):
    data = jpeg_bytes(seed=13)
    upload = UploadFactory(org=org, data=data, status=Upload.Status.RECEIVED)
    AssetRowFactory(org=org, stored_bytes=small_plan.storage_bytes - len(data) // 2)  # filled up meanwhile

    services.upload_process(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED
    assert upload.error.startswith("Your library is full")
    assert stored_files(media_root) == set()


def test_the_library_shows_storage_used_against_the_plan(owner, org, small_plan):
    AssetRowFactory(org=org, stored_bytes=950_000)

    page = owner.get(reverse("assets:library", args=[org.slug])).content.decode()

    assert "927.7\xa0KB of 976.6\xa0KB used (Free plan)" in page
    assert "Get more storage" in page


def test_uploads_go_to_private_keys_of_the_org(owner, org):
    started = _start(owner, org, "beach.jpg", 1000, "image/jpeg").json()

    upload = Upload.objects.get(public_id=started["id"])
    assert upload.key == f"orgs/{org.public_id}/uploads/{upload.public_id}"
    assert storage.key_belongs_to(org, upload.key)
