"""An asset's page and its actions (tags, like, rename, download, delete), and what viewers may do."""

import re

import pytest
from django.urls import reverse

from assets import storage
from assets.models import Asset, Collection, CollectionItem, Tag
from assets.tests.factories import (
    AssetFactory,
    AssetRowFactory,
    CollectionFactory,
    TagFactory,
    asset_files,
    jpeg_bytes,
    provider_output,
    stored_files,
)
from assets.tests.library_pages import HTMX
from assets.tests.library_pages import library_url as _library
from assets.tests.library_pages import public_ids as _ids
from assets.tests.library_pages import tiles as _tiles
from core.tests.pages import text_of

# --- An asset's page -----------------------------------------------------------------------------


def test_an_asset_page_shows_the_preview_and_its_facts(owner, org, people):
    asset = AssetFactory(org=org, filename="beach_day.jpg", size=(320, 200), created_by=people.member)

    response = owner.get(reverse("assets:detail", args=[org.slug, asset.public_id]))

    page = text_of(response)
    body = response.content.decode()
    assert "Image · image/jpeg" in page
    assert "Upload" in page
    assert "320 × 200 px" in page
    assert "beach_day.jpg" in page
    assert people.member.display_name in page
    preview = re.search(r'<img src="(/media/[^"]+)" alt="beach day"', body).group(1)
    assert owner.get(preview).status_code == 200


def test_a_video_page_plays_the_video_with_its_poster(owner, org):
    video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, duration=3725.0)
    Asset.objects.filter(pk=video.pk).update(
        original_key=storage.asset_key(org, video, "original", "mp4"),
        variants={
            "poster": storage.asset_key(org, video, "poster", "jpg"),
            "thumb": storage.asset_key(org, video, "thumb", "jpg"),
        },
    )

    response = owner.get(reverse("assets:detail", args=[org.slug, video.public_id]))

    body = response.content.decode()
    assert re.search(r'<video controls [^>]*poster="/media/[^"]+"[^>]* src="/media/[^"]+"', body)
    assert "1:02:05" in text_of(response)


def test_lineage_links_parents_and_children_both_ways(owner, org):
    parent = AssetFactory(org=org, filename="reference.jpg")
    other_parent = AssetFactory(org=org, filename="pose.jpg")
    child = provider_output(org, prompt="same face, new outfit", seed=21, parents=[parent, other_parent])

    child_page = owner.get(reverse("assets:detail", args=[org.slug, child.public_id])).content.decode()
    parent_page = owner.get(reverse("assets:detail", args=[org.slug, parent.public_id])).content.decode()

    assert "Made from" in child_page
    for p in (parent, other_parent):
        assert f'href="{reverse("assets:detail", args=[org.slug, p.public_id])}"' in child_page
    assert "Used to make" in parent_page
    assert f'href="{reverse("assets:detail", args=[org.slug, child.public_id])}"' in parent_page
    unrelated = AssetFactory(org=org)
    assert "Lineage" not in owner.get(reverse("assets:detail", args=[org.slug, unrelated.public_id])).content.decode()


def test_a_generated_asset_shows_its_recipe_escaped(owner, org):
    asset = provider_output(org, prompt="<script>alert(1)</script> a lighthouse", seed=22, recipe={"cost": 4})

    response = owner.get(reverse("assets:detail", args=[org.slug, asset.public_id]))

    body = response.content.decode()
    assert asset.source == Asset.Source.GENERATED
    assert "Full recipe (JSON)" in body
    assert "&quot;model&quot;: &quot;flux-dev&quot;" in body
    assert "&quot;seed&quot;: 22" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a lighthouse" in body
    assert "4 credits" in text_of(response)


def test_it_edits_tags_inline_with_htmx(owner, org):
    asset = AssetRowFactory(org=org)
    TagFactory(org=org, name="Beach")

    response = owner.post(
        reverse("assets:tags", args=[org.slug, asset.public_id]),
        {"tags": "beach, #Summer,  golden   hour, summer"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="asset-tags",
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="asset-tags">')
    assert "<html" not in body
    assert sorted(asset.tags.values_list("name", flat=True)) == ["Beach", "Summer", "golden hour"]
    assert Tag.objects.for_org(org).count() == 3  # "beach" reused the existing "Beach"
    assert sorted(re.findall(r'class="badge"[^>]*>([^<]+)<', body)) == ["Beach", "Summer", "golden hour"]
    assert re.search(r'name="tags" value="(Beach|Summer|golden hour)(, (Beach|Summer|golden hour)){2}"', body)
    assert _tiles(owner.get(_library(org, q="golden"))) == _ids(asset)


def test_too_many_tags_are_refused_and_the_old_ones_kept(owner, org):
    asset = AssetRowFactory(org=org)
    asset.tags.add(TagFactory(org=org, name="keep"))

    response = owner.post(
        reverse("assets:tags", args=[org.slug, asset.public_id]),
        {"tags": ", ".join(f"t{i}" for i in range(31))},
        follow=True,
    )

    assert "Use at most 30 tags." in text_of(response)
    assert list(asset.tags.values_list("name", flat=True)) == ["keep"]


def test_like_toggles_in_place(owner, org):
    asset = AssetRowFactory(org=org)
    url = reverse("assets:like", args=[org.slug, asset.public_id])

    liked = owner.post(url, {"liked": "1"}, **HTMX).content.decode()
    assert Asset.objects.get(pk=asset.pk).liked
    unliked = owner.post(url, {"liked": "0"}, **HTMX).content.decode()
    assert not Asset.objects.get(pk=asset.pk).liked

    assert liked.lstrip().startswith('<form id="like-button"')
    assert "♥ Liked" in liked
    assert 'aria-pressed="true"' in liked
    assert 'name="liked" value="0"' in liked  # the next click unlikes
    assert "♡ Like" in unliked


def test_rename_changes_the_title_and_what_search_finds(owner, org):
    asset = AssetRowFactory(org=org, title="IMG_0001")

    response = owner.post(
        reverse("assets:rename", args=[org.slug, asset.public_id]), {"title": "  Maya, studio  "}, follow=True
    )

    assert "Renamed." in text_of(response)
    assert Asset.objects.get(pk=asset.pk).title == "Maya, studio"
    assert _tiles(owner.get(_library(org, q="maya"))) == _ids(asset)


def test_an_empty_title_is_refused(owner, org):
    asset = AssetRowFactory(org=org, title="Keep me")

    response = owner.post(reverse("assets:rename", args=[org.slug, asset.public_id]), {"title": "   "}, follow=True)

    assert "Give it a title" in text_of(response)
    assert Asset.objects.get(pk=asset.pk).title == "Keep me"


def test_download_sends_the_original_as_an_attachment_with_its_name(owner, org):
    data = jpeg_bytes((200, 120), seed=30)
    asset = AssetFactory(org=org, filename='🌅 Sunset; "pier".jpg', data=data)

    redirect = owner.get(reverse("assets:download", args=[org.slug, asset.public_id]))
    served = owner.get(redirect["Location"])

    assert redirect.status_code == 302
    assert redirect["Location"].startswith("/media/")
    assert served.status_code == 200
    assert served["Content-Disposition"] == (
        "attachment; filename=\"_ Sunset_ _pier_.jpg\"; filename*=UTF-8''%F0%9F%8C%85%20Sunset%3B%20%22pier%22.jpg"
    )
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == data


def test_delete_removes_the_asset_and_its_files(owner, org, media_root, django_capture_on_commit_callbacks):
    keep = AssetFactory(org=org)
    asset = AssetFactory(org=org, filename="gone.jpg")
    child = provider_output(org, prompt="made from it", seed=31, parents=[asset])

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(reverse("assets:delete", args=[org.slug, asset.public_id]), follow=True)

    assert "“gone” was deleted." in text_of(response)
    assert response.redirect_chain[-1][0] == _library(org)
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert stored_files(media_root) == asset_files(keep) | asset_files(child)
    assert list(Asset.objects.get(pk=child.pk).parents.all()) == []


# --- Viewers -------------------------------------------------------------------------------------


def test_a_viewer_browses_without_upload_or_edit_controls(login, org):
    asset = AssetRowFactory(org=org)
    viewer = login("viewer")

    library = viewer.get(_library(org)).content.decode()
    detail = viewer.get(reverse("assets:detail", args=[org.slug, asset.public_id])).content.decode()

    assert 'id="upload-input"' not in library
    assert 'value="download"' in library  # the bulk bar still offers the zip
    assert 'value="like"' not in library
    assert 'data-dialog-open="bulk-delete"' not in library
    assert "Download original" in detail
    assert 'name="title"' not in detail
    assert 'name="tags"' not in detail
    assert 'data-dialog-open="delete-asset"' not in detail


@pytest.mark.parametrize("action", ["tag", "collect", "uncollect", "like", "unlike", "delete"])
def test_a_viewers_bulk_change_is_refused_with_a_message(login, org, action):
    asset = AssetRowFactory(org=org)
    collection = CollectionFactory(org=org)
    CollectionItem.objects.create(collection=collection, asset=asset)
    viewer = login("viewer")

    response = viewer.post(
        reverse("assets:bulk", args=[org.slug]),
        {"action": action, "ids": str(asset.public_id), "tags": "x", "collection": str(collection.public_id)},
        follow=True,
    )

    assert "Viewers can browse and download, but not change the library." in text_of(response)
    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.liked, asset.tags.count(), asset.collections.count()) == (False, 0, 1)


def test_a_viewer_cannot_create_a_collection(login, org):
    response = login("viewer").post(reverse("assets:collections", args=[org.slug]), {"name": "Mine"}, follow=True)

    assert "Viewers can't create collections." in text_of(response)
    assert not Collection.objects.exists()


def test_a_viewer_gets_403_on_a_write(login, org):
    asset = AssetRowFactory(org=org, title="Untouched")

    response = login("viewer").post(reverse("assets:rename", args=[org.slug, asset.public_id]), {"title": "Changed"})

    assert response.status_code == 403
    assert "Viewers can look but not change things here." in text_of(response)
    assert Asset.objects.get(pk=asset.pk).title == "Untouched"
