"""Collections: creating, listing, adding to and removing from, renaming and deleting them."""

from django.urls import reverse

from assets.models import Asset, Collection, CollectionItem
from assets.tests.factories import AssetFactory, AssetRowFactory, CollectionFactory, asset_files, stored_files
from assets.tests.library_pages import public_ids as _ids
from assets.tests.library_pages import tiles as _tiles
from core.tests.pages import text_of

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
