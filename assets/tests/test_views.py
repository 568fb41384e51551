"""The library pages: the grid (order, pages, filters, search), an asset's page and its edits,
collections, downloads, and the signed media URLs behind every picture."""

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from assets import selectors, services, storage
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
from core.tests.pages import text_of

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner(login):
    return login("owner")


def _library(org, **params) -> str:
    url = reverse("assets:library", args=[org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _tiles(response) -> list[str]:
    """The public ids of the tiles on a page, in order."""
    return re.findall(r'<li class="tile[^"]*" data-id="([0-9a-f-]+)"', response.content.decode())


def _ids(*assets) -> list[str]:
    return [str(a.public_id) for a in assets]


def _next_cursor(response) -> str:
    match = re.search(r"cursor=([A-Za-z0-9_\-]+)", response.content.decode())
    return match.group(1) if match else ""


# --- The grid ------------------------------------------------------------------------------------


def test_it_shows_the_newest_first(owner, org):
    old, middle, new = (AssetRowFactory(org=org, title=t) for t in ("old", "middle", "new"))

    response = owner.get(_library(org))

    assert response.status_code == 200
    assert _tiles(response) == _ids(new, middle, old)


def test_it_shows_only_this_orgs_items(owner, org, people):
    mine = AssetRowFactory(org=org)
    AssetRowFactory(org=people.other_org, title="Rival secret")

    response = owner.get(_library(org))

    assert _tiles(response) == _ids(mine)
    assert "Rival secret" not in response.content.decode()


def test_an_empty_library_invites_the_first_upload(owner, org):
    page = text_of(owner.get(_library(org)))

    assert "Your library is empty" in page
    assert "Drop images and videos here" in page


def test_pages_follow_each_other_without_overlap_even_at_the_same_instant(owner, org):
    rows = AssetRowFactory.build_batch(130, org=org)
    Asset.objects.bulk_create(rows)
    same_instant = timezone.now() - timedelta(hours=1)
    Asset.objects.filter(pk__in=[r.pk for r in rows[40:100]]).update(created_at=same_instant)
    expected = list(Asset.objects.order_by("-created_at", "-id").values_list("public_id", flat=True))

    first = owner.get(_library(org))
    second = owner.get(_library(org, cursor=_next_cursor(first)), **HTMX)
    third = owner.get(_library(org, cursor=_next_cursor(second)), **HTMX)

    pages = [_tiles(first), _tiles(second), _tiles(third)]
    assert [len(p) for p in pages] == [selectors.PAGE_SIZE, selectors.PAGE_SIZE, 10]
    assert [tile for page in pages for tile in page] == [str(pid) for pid in expected]
    assert _next_cursor(third) == ""
    assert "Load more" not in third.content.decode()


def test_a_page_asked_for_by_htmx_is_only_the_tiles(owner, org):
    Asset.objects.bulk_create(AssetRowFactory.build_batch(61, org=org))
    first = owner.get(_library(org, kind="image"))

    response = owner.get(_library(org, kind="image", cursor=_next_cursor(first)), **HTMX)

    body = response.content.decode()
    assert len(_tiles(response)) == 1
    assert body.lstrip().startswith('<li class="tile')
    assert "<html" not in body
    assert 'id="asset-grid"' not in body
    assert 'class="filters"' not in body


def test_the_next_page_link_keeps_the_filters(owner, org):
    Asset.objects.bulk_create(AssetRowFactory.build_batch(61, org=org, kind=Asset.Kind.VIDEO, duration=3.0))

    body = owner.get(_library(org, kind="video")).content.decode()

    assert re.search(r"\?kind=video&(amp;)?cursor=[A-Za-z0-9_\-]+", body)


def test_a_made_up_cursor_shows_the_first_page(owner, org):
    newest = AssetRowFactory(org=org)

    for cursor in ("garbage", "W10", "WyJ4IiwgMV0", "e30"):
        response = owner.get(_library(org, cursor=cursor))
        assert response.status_code == 200
        assert _tiles(response) == _ids(newest)


def test_a_filter_change_from_htmx_returns_only_the_grid(owner, org):
    video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, duration=75.0)
    AssetRowFactory(org=org)

    response = owner.get(_library(org, kind="video"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="asset-grid")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="asset-grid"')
    assert "<html" not in body
    assert _tiles(response) == _ids(video)
    assert "1:15" in body  # the duration badge


@pytest.fixture
def assorted(org):
    """One item for each filter to find."""
    tag = TagFactory(org=org, name="beach")
    collection = CollectionFactory(org=org, name="Summer campaign")
    items = {
        "plain": AssetRowFactory(org=org, title="Plain photo"),
        "video": AssetRowFactory(org=org, title="Clip", kind=Asset.Kind.VIDEO, duration=12.0),
        "generated": AssetRowFactory(org=org, title="Render", source=Asset.Source.GENERATED),
        "edited": AssetRowFactory(org=org, title="Retouch", source=Asset.Source.EDITED),
        "tagged": AssetRowFactory(org=org, title="Tagged"),
        "collected": AssetRowFactory(org=org, title="Collected"),
        "liked": AssetRowFactory(org=org, title="Favourite", liked=True),
        "nsfw": AssetRowFactory(org=org, title="Spicy", nsfw=True),
    }
    items["tagged"].tags.add(tag)
    CollectionItem.objects.create(collection=collection, asset=items["collected"])
    Asset.objects.filter(pk=items["plain"].pk).update(created_at=timezone.now() - timedelta(days=40))
    return {"items": items, "tag": tag, "collection": collection}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "video"}, {"video"}),
        ({"source": "generated"}, {"generated"}),
        ({"source": "edited"}, {"edited"}),
        ({"tag": "{tag}"}, {"tagged"}),
        ({"collection": "{collection}"}, {"collected"}),
        ({"liked": "on"}, {"liked"}),
        ({"nsfw": "only"}, {"nsfw"}),
        ({"nsfw": "hide"}, {"plain", "video", "generated", "edited", "tagged", "collected", "liked"}),
        ({"date_to": "{month_ago}"}, {"plain"}),
        ({"date_from": "{week_ago}", "kind": "image", "source": "upload", "liked": "on"}, {"liked"}),
        ({"kind": "nonsense"}, {"plain", "video", "generated", "edited", "tagged", "collected", "liked", "nsfw"}),
    ],
)
def test_it_filters_the_grid(owner, org, assorted, params, expected):
    today = timezone.localdate()
    values = {
        "tag": assorted["tag"].public_id,
        "collection": assorted["collection"].public_id,
        "month_ago": today - timedelta(days=30),
        "week_ago": today - timedelta(days=7),
    }
    params = {k: v.format(**values) for k, v in params.items()}

    response = owner.get(_library(org, **params))

    by_id = {str(a.public_id): name for name, a in assorted["items"].items()}
    assert {by_id[i] for i in _tiles(response)} == expected


def test_nsfw_items_are_blurred_unless_hidden(owner, org):
    AssetRowFactory(org=org, nsfw=True)

    body = owner.get(_library(org)).content.decode()

    assert 'class="tile is-nsfw"' in body
    assert "NSFW</span>" in body


def test_a_filter_that_finds_nothing_says_so(owner, org):
    AssetRowFactory(org=org, title="Beach day")

    page = text_of(owner.get(_library(org, q="volcano")))

    assert "Nothing matches" in page
    assert "the search “volcano”" in page


def test_search_finds_titles_tags_and_prompts(owner, org):
    by_title = AssetRowFactory(org=org, title="Lighthouse at dusk")
    by_tag = AssetRowFactory(org=org, title="IMG_2041")
    by_tag.tags.add(TagFactory(org=org, name="lighthouses"))
    services.asset_reindex(by_tag.pk)
    by_prompt = provider_output(org, prompt="a red lighthouse on a cliff, golden hour, 35mm film", seed=3)
    AssetRowFactory(org=org, title="Forest walk")

    # Newest first, whatever matched (no relevance ranking to reshuffle the grid).
    assert _tiles(owner.get(_library(org, q="lighthouse"))) == _ids(by_prompt, by_tag, by_title)
    assert _tiles(owner.get(_library(org, q="golden cliff"))) == _ids(by_prompt)
    assert _tiles(owner.get(_library(org, q='"red lighthouse" -forest'))) == _ids(by_prompt)


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


# --- Collections -------------------------------------------------------------------------------


def test_it_creates_a_collection_and_opens_it(owner, org):
    response = owner.post(
        reverse("assets:collections", args=[org.slug]),
        {"name": "  Summer   campaign ", "description": "Q3"},
        follow=True,
    )

    collection = Collection.objects.get()
    assert (collection.name, collection.description) == ("Summer campaign", "Q3")
    assert response.redirect_chain[-1][0] == reverse("assets:collection", args=[org.slug, collection.public_id])
    page = text_of(response)
    assert "Collection “Summer campaign” created." in page
    assert "This collection is empty" in page


def test_a_second_collection_with_the_same_name_is_refused(owner, org):
    CollectionFactory(org=org, name="Summer campaign")

    response = owner.post(reverse("assets:collections", args=[org.slug]), {"name": "summer CAMPAIGN"})

    assert response.status_code == 400
    assert "There's already a collection called “summer CAMPAIGN”." in text_of(response)
    assert Collection.objects.count() == 1


def test_the_same_name_is_fine_in_another_org(owner, org, people):
    CollectionFactory(org=people.other_org, name="Summer campaign")

    owner.post(reverse("assets:collections", args=[org.slug]), {"name": "Summer campaign"})

    assert Collection.objects.for_org(org).filter(name="Summer campaign").exists()


def test_the_collections_page_lists_boards_with_covers_and_counts(owner, org):
    board = CollectionFactory(org=org, name="Editorial")
    CollectionFactory(org=org, name="Empty board")
    for asset in [AssetRowFactory(org=org) for _ in range(5)]:
        CollectionItem.objects.create(collection=board, asset=asset)

    response = owner.get(reverse("assets:collections", args=[org.slug]))

    page = text_of(response)
    assert "Editorial 5 items" in page
    assert "Empty board 0 items" in page
    covers = response.content.decode().split("Editorial")[0]
    assert covers.count('<img src="/media/') == 4


def test_add_and_remove_from_the_asset_page(owner, org):
    asset = AssetRowFactory(org=org)
    board = CollectionFactory(org=org, name="Editorial")
    url = reverse("assets:collection_toggle", args=[org.slug, asset.public_id])

    added = owner.post(url, {"collection": str(board.public_id), "add": "1"}, follow=True)
    assert list(board.assets.all()) == [asset]
    assert "Added to Editorial." in text_of(added)
    assert 'name="add" value="0"' in added.content.decode()  # now shown as "in", a click removes it

    removed = owner.post(url, {"collection": str(board.public_id), "add": "0"}, follow=True)
    assert list(board.assets.all()) == []
    assert "Removed from Editorial." in text_of(removed)


def test_a_collection_shows_only_its_items_and_filters_within_them(owner, org):
    board = CollectionFactory(org=org, name="Editorial")
    inside_video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, duration=4.0)
    inside_image = AssetRowFactory(org=org)
    AssetRowFactory(org=org)
    for asset in (inside_video, inside_image):
        CollectionItem.objects.create(collection=board, asset=asset)
    url = reverse("assets:collection", args=[org.slug, board.public_id])

    assert _tiles(owner.get(url)) == _ids(inside_image, inside_video)
    assert _tiles(owner.get(url + "?kind=video")) == _ids(inside_video)
    assert "<h1>Editorial</h1>" in owner.get(url).content.decode()


def test_renaming_a_collection_refuses_a_clash(owner, org):
    board = CollectionFactory(org=org, name="Editorial")
    CollectionFactory(org=org, name="Campaign")
    url = reverse("assets:collection_update", args=[org.slug, board.public_id])

    clash = owner.post(url, {"name": "campaign"}, follow=True)
    renamed = owner.post(url, {"name": "Editorial 2026", "description": "Spring"}, follow=True)

    assert "There's already a collection called “campaign”." in text_of(clash)
    assert "Collection saved." in text_of(renamed)
    board.refresh_from_db()
    assert (board.name, board.description) == ("Editorial 2026", "Spring")


def test_deleting_a_collection_keeps_its_items(owner, org, media_root):
    board = CollectionFactory(org=org, name="Editorial")
    asset = AssetFactory(org=org)
    CollectionItem.objects.create(collection=board, asset=asset)

    response = owner.post(reverse("assets:collection_delete", args=[org.slug, board.public_id]), follow=True)

    assert "Collection “Editorial” deleted; its images and videos stay in the library." in text_of(response)
    assert not Collection.objects.exists()
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert stored_files(media_root) == asset_files(asset)


# --- Signed media URLs -------------------------------------------------------------------------


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, data=jpeg_bytes((120, 80), seed=40))


def test_a_signed_url_serves_the_file_privately_to_members(login, org, photo):
    url = storage.signed_url(org, photo.variants["thumb"])

    for role in ("owner", "viewer"):
        response = login(role).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=300"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert not response.get("Content-Disposition", "").startswith("attachment")
        assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_signed_url_is_a_404_for_a_member_of_another_org(login, org, photo):
    url = storage.signed_url(org, photo.original_key)

    assert login("outsider").get(url).status_code == 404


def test_a_signed_url_expires(login, org, photo, settings):
    owner = login("owner")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - settings.MEDIA_URL_EXPIRY - 5):
        expired = storage.signed_url(org, photo.original_key)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - settings.MEDIA_URL_EXPIRY + 30):
        fresh = storage.signed_url(org, photo.original_key)

    assert owner.get(expired).status_code == 404
    assert owner.get(fresh).status_code == 200


def test_a_forged_or_tampered_token_is_a_404(login, org, photo):
    owner = login("owner")
    token = storage.signed_url(org, photo.original_key).split("/")[2]
    payload = {"k": photo.original_key, "o": str(org.public_id), "d": ""}

    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    wrong_salt = signing.dumps(payload, salt="something-else")
    unsigned = signing.b64_encode(b'{"k":"%s","o":"%s"}' % (photo.original_key.encode(), str(org.public_id).encode()))

    for bad in (tampered, wrong_salt, unsigned.decode(), "x"):
        assert owner.get(f"/media/{bad}/").status_code == 404


def test_a_token_naming_another_orgs_key_is_a_404_even_when_signed(login, org, people, photo):
    theirs = AssetFactory(org=people.other_org)
    owner = login("owner")

    for key in (
        theirs.original_key,  # the other org's file, under our org's name
        f"orgs/{org.public_id}/../{people.other_org.public_id}/assets/{theirs.public_id}/original.jpg",
        "../../etc/passwd",
    ):
        token = signing.dumps({"k": key, "o": str(org.public_id), "d": ""}, salt=storage.SIGNED_URL_SALT)
        assert owner.get(f"/media/{token}/").status_code == 404
    assert not storage.key_belongs_to(org, theirs.original_key)
    assert storage.key_belongs_to(people.other_org, theirs.original_key)


def test_a_signed_url_for_a_deleted_file_is_a_404(login, org, photo, media_root):
    url = storage.signed_url(org, photo.original_key)
    (media_root / photo.original_key).unlink()

    assert login("owner").get(url).status_code == 404
