"""Bulk actions on a selection (tag, collect, like, delete, download) and the zip exports the
worker builds for "Download zip"."""

import io
import re
import zipfile

import pytest
from django.urls import reverse

from assets import services, storage
from assets.models import Asset, CollectionItem, Export
from assets.services import library
from assets.tests.factories import (
    AssetFactory,
    AssetRowFactory,
    CollectionFactory,
    asset_files,
    jpeg_bytes,
    stored_files,
)
from core.tests.pages import text_of


def _bulk(client, org, action, assets, follow=True, **data):
    ids = ",".join(str(a.public_id) if hasattr(a, "public_id") else a for a in assets)
    return client.post(reverse("assets:bulk", args=[org.slug]), {"action": action, "ids": ids, **data}, follow=follow)


# --- Bulk changes --------------------------------------------------------------------------------


def test_bulk_tag_adds_the_tags_to_each_selected_item(owner, org):
    a, b, untouched = (AssetRowFactory(org=org) for _ in range(3))
    a.tags.add(library._tags_get_or_create(org, ["portrait"])[0])

    response = _bulk(owner, org, "tag", [a, b], tags="beach, Summer")

    assert "Tagged 2 items." in text_of(response)
    assert sorted(a.tags.values_list("name", flat=True)) == ["Summer", "beach", "portrait"]
    assert sorted(b.tags.values_list("name", flat=True)) == ["Summer", "beach"]
    assert not untouched.tags.exists()
    beach = org.tags.get(name="beach")
    found = owner.get(reverse("assets:library", args=[org.slug]) + f"?tag={beach.public_id}").content.decode()
    assert set(re.findall(r'data-id="([0-9a-f-]+)"', found)) == {str(a.public_id), str(b.public_id)}


def test_bulk_tag_needs_a_tag(owner, org):
    asset = AssetRowFactory(org=org)

    response = _bulk(owner, org, "tag", [asset], tags=" , ")

    assert "Type at least one tag." in text_of(response)


def test_bulk_collect_and_uncollect(owner, org):
    a, b, c = (AssetRowFactory(org=org) for _ in range(3))
    board = CollectionFactory(org=org, name="Editorial")
    CollectionItem.objects.create(collection=board, asset=a)
    board_url = reverse("assets:collection", args=[org.slug, board.public_id])

    added = _bulk(owner, org, "collect", [a, b, c], collection=str(board.public_id))
    assert "Added 3 items to Editorial." in text_of(added)
    assert set(board.assets.all()) == {a, b, c}
    assert CollectionItem.objects.count() == 3  # a was already in, and is in once

    removed = _bulk(owner, org, "uncollect", [a, c], collection=str(board.public_id), next=board_url)
    assert removed.redirect_chain[-1][0] == board_url
    assert "Removed 2 items from Editorial." in text_of(removed)
    assert list(board.assets.all()) == [b]


def test_bulk_collect_needs_a_collection_of_this_org(owner, org, people):
    asset = AssetRowFactory(org=org)
    theirs = CollectionFactory(org=people.other_org)

    for collection in ("", str(theirs.public_id)):
        response = _bulk(owner, org, "collect", [asset], collection=collection)
        assert "Choose a collection." in text_of(response)
    assert not CollectionItem.objects.exists()


def test_bulk_like_and_unlike(owner, org):
    a, b = AssetRowFactory(org=org), AssetRowFactory(org=org)

    liked = _bulk(owner, org, "like", [a, b])
    assert "Liked 2 items." in text_of(liked)
    assert set(Asset.objects.values_list("liked", flat=True)) == {True}

    unliked = _bulk(owner, org, "unlike", [b])
    assert "Unliked 1 item." in text_of(unliked)
    assert Asset.objects.get(pk=a.pk).liked
    assert not Asset.objects.get(pk=b.pk).liked


def test_bulk_delete_removes_the_items_and_their_files(owner, org, media_root, django_capture_on_commit_callbacks):
    a, b, kept = AssetFactory(org=org), AssetFactory(org=org), AssetFactory(org=org)

    with django_capture_on_commit_callbacks(execute=True):
        response = _bulk(owner, org, "delete", [a, b])

    assert "Deleted 2 items." in text_of(response)
    assert list(Asset.objects.all()) == [kept]
    assert stored_files(media_root) == asset_files(kept)


def test_another_orgs_items_in_a_selection_are_left_alone(owner, org, people, media_root):
    mine = AssetRowFactory(org=org)
    theirs = AssetFactory(org=people.other_org)

    for action in ("like", "delete"):
        _bulk(owner, org, action, [mine, theirs], tags="x")

    theirs.refresh_from_db()
    assert not theirs.liked
    assert stored_files(media_root) == asset_files(theirs)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("", "Select at least one item first."),
        ("not-a-uuid", "The selection contains an unknown item."),
        (",".join(["00000000-0000-0000-0000-000000000001"] * 501), "Select at most 500 items at a time."),
    ],
)
def test_a_bad_selection_is_explained(owner, org, ids, message):
    response = owner.post(reverse("assets:bulk", args=[org.slug]), {"action": "like", "ids": ids}, follow=True)

    assert message in text_of(response)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"])
def test_bulk_only_returns_to_a_page_of_this_site(owner, org, next_url):
    asset = AssetRowFactory(org=org)

    response = _bulk(owner, org, "like", [asset], follow=False, next=next_url)

    assert response["Location"] == reverse("assets:library", args=[org.slug])


# --- Zip exports -------------------------------------------------------------------------------


@pytest.fixture
def photos(org):
    """Three originals, two of them with the same title."""
    return [
        AssetFactory(org=org, filename="beach.jpg", data=jpeg_bytes((160, 120), seed=50)),
        AssetFactory(org=org, filename="beach.jpg", data=jpeg_bytes((160, 120), seed=51)),
        AssetFactory(org=org, filename="studio: look 2.jpg", data=jpeg_bytes((120, 160), seed=52)),
    ]


def _original(asset) -> bytes:
    with storage.storage().open(asset.original_key) as fh:
        return fh.read()


def _download_zip(client, url) -> zipfile.ZipFile:
    redirect = client.get(url)
    assert redirect.status_code == 302
    served = client.get(redirect["Location"])
    assert served.status_code == 200
    assert served["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(served.streaming_content))), served


def _without_comment(data: bytes) -> bytes:
    """The JPEG without the comment segment (FF FE, then its length) that follows its start marker."""
    assert data[2:4] == b"\xff\xfe", "no lineage comment after the start marker"
    length = int.from_bytes(data[4:6], "big")
    return data[:2] + data[4 + length :]


def test_download_as_zip_builds_an_archive_of_the_originals(owner, org, photos, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _bulk(owner, org, "download", photos, follow=False)

    export = Export.objects.get()
    assert response["Location"] == reverse("assets:library", args=[org.slug]) + f"?export={export.public_id}"
    assert (export.status, export.progress) == (Export.Status.READY, 100)
    assert export.key == f"orgs/{org.public_id}/exports/{export.public_id}.zip"

    archive, served = _download_zip(owner, reverse("assets:export_download", args=[org.slug, export.public_id]))
    assert sorted(archive.namelist()) == ["beach (2).jpg", "beach.jpg", "studio_ look 2.jpg"]
    assert archive.testzip() is None
    # Each file is its original, with the lineage summary put in a JPEG comment after the start marker.
    stored = {name: archive.read(name) for name in archive.namelist()}
    assert all(b"Personae lineage" in data[:200] for data in stored.values())
    assert sorted(_without_comment(data) for data in stored.values()) == sorted(_original(a) for a in photos)
    assert _without_comment(stored["studio_ look 2.jpg"]) == _original(photos[2])
    assert re.fullmatch(
        r'attachment; filename="northstar-library-\d{8}-\d{4}\.zip"; filename\*=UTF-8\'\'northstar-library-\d{8}-\d{4}\.zip',
        served["Content-Disposition"],
    )


def test_the_export_status_polls_until_ready_then_stops(owner, org, photos, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:  # the worker hasn't started yet
        _bulk(owner, org, "download", photos, follow=False)
    export = Export.objects.get()
    status_url = reverse("assets:export_status", args=[org.slug, export.public_id])
    library = owner.get(reverse("assets:library", args=[org.slug]) + f"?export={export.public_id}").content.decode()

    building = owner.get(status_url, HTTP_HX_REQUEST="true")
    for callback in queued:
        callback()
    ready = owner.get(status_url, HTTP_HX_REQUEST="true")

    assert f'hx-get="{status_url}" hx-trigger="load, every 1s"' in library
    assert building.status_code == 200
    assert "Building your zip of 3 files… 0%" in text_of(building)
    assert ready.status_code == 286  # HTMX stops polling
    assert "Your zip is ready" in text_of(ready)
    assert "3 files" in text_of(ready)
    assert reverse("assets:export_download", args=[org.slug, export.public_id]) in ready.content.decode()
    assert owner.get(status_url).status_code == 200  # without HTMX: a plain page


def test_a_made_up_export_id_in_the_library_url_is_ignored(owner, org):
    response = owner.get(reverse("assets:library", args=[org.slug]) + "?export=not-a-uuid")

    assert response.status_code == 200
    assert 'id="export-status"' not in response.content.decode()


def test_a_viewer_can_download_a_zip(login, org, photos, django_capture_on_commit_callbacks):
    viewer = login("viewer")

    with django_capture_on_commit_callbacks(execute=True):
        _bulk(viewer, org, "download", photos[:1])

    export = Export.objects.get()
    archive, _ = _download_zip(viewer, reverse("assets:export_download", args=[org.slug, export.public_id]))
    assert archive.namelist() == ["beach.jpg"]


def test_a_zip_that_is_not_ready_or_expired_cannot_be_downloaded(
    owner, org, photos, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        export = services.export_create(org=org, user=None, ids=[str(photos[0].public_id)])
    url = reverse("assets:export_download", args=[org.slug, export.public_id])

    assert owner.get(url).status_code == 404
    Export.objects.filter(pk=export.pk).update(status=Export.Status.EXPIRED)
    assert owner.get(url).status_code == 404
    expired = owner.get(reverse("assets:export_status", args=[org.slug, export.public_id]), HTTP_HX_REQUEST="true")
    assert expired.status_code == 286
    assert "This zip expired after 24 hours." in text_of(expired)


def test_a_zip_whose_original_went_missing_fails_with_a_message(
    owner, org, photos, media_root, django_capture_on_commit_callbacks
):
    (media_root / photos[1].original_key).unlink()

    with django_capture_on_commit_callbacks(execute=True):
        _bulk(owner, org, "download", photos)

    export = Export.objects.get()
    assert export.status == Export.Status.FAILED
    status = owner.get(reverse("assets:export_status", args=[org.slug, export.public_id]), HTTP_HX_REQUEST="true")
    assert status.status_code == 286
    assert "The zip couldn't be built. Try again." in text_of(status)
    assert not [f for f in stored_files(media_root) if "/exports/" in f]


def test_building_twice_builds_once(org, photos, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        export = services.export_create(org=org, user=None, ids=[str(a.public_id) for a in photos])

    services.export_build(export_id=export.pk)
    services.export_build(export_id=export.pk)  # a redelivered task

    assert [f for f in stored_files(media_root) if "/exports/" in f] == [Export.objects.get().key]


def test_items_deleted_before_the_build_are_left_out(org, photos, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        export = services.export_create(org=org, user=None, ids=[str(a.public_id) for a in photos])
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_delete(asset=photos[0])

    services.export_build(export_id=export.pk)

    export.refresh_from_db()
    with storage.storage().open(export.key) as fh:
        assert sorted(zipfile.ZipFile(fh).namelist()) == ["beach.jpg", "studio_ look 2.jpg"]


def test_a_selection_that_no_longer_exists_is_explained(owner, org, django_capture_on_commit_callbacks):
    gone = AssetRowFactory.build(org=org)

    response = _bulk(owner, org, "download", [gone])

    assert "None of the selected items exist any more." in text_of(response)
    assert not Export.objects.exists()
