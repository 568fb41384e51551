"""The library grid: order, pages, htmx fragments, filters and search."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from assets import selectors, services
from assets.models import Asset, CollectionItem
from assets.tests.factories import AssetRowFactory, CollectionFactory, TagFactory, provider_output
from assets.tests.library_pages import HTMX
from assets.tests.library_pages import library_url as _library
from assets.tests.library_pages import public_ids as _ids
from assets.tests.library_pages import tiles as _tiles
from core.tests.pages import text_of


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

    found = _tiles(owner.get(_library(org, q="lighthouse")))

    # The title that starts with the search first; the tag and the prompt matches after it.
    assert found[0] == str(by_title.public_id)
    assert sorted(found[1:]) == sorted(_ids(by_tag, by_prompt))
    assert _tiles(owner.get(_library(org, q="golden cliff"))) == _ids(by_prompt)
