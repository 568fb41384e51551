"""Library search (pg_trgm): substrings, prefixes and small typos in names, tags, prompts and
captions, best match first, and the searches that must not break anything."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from assets import selectors, services
from assets.models import Asset
from assets.selectors import LibraryFilters, search_terms
from assets.tests.factories import AssetRowFactory, TagFactory, provider_output
from assets.tests.library_pages import HTMX
from assets.tests.library_pages import public_ids as _ids
from assets.tests.library_pages import tiles as _tiles
from core.tests.pages import text_of


def _search(client, org, q: str, **extra):
    return client.get(reverse("assets:library", args=[org.slug]) + "?" + urlencode({"q": q}), **extra)


def _found(org, q: str) -> list[Asset]:
    assets, _cursor = selectors.asset_page(org, LibraryFilters(q=q))
    return assets


def _indexed(org, **kwargs) -> Asset:
    asset = AssetRowFactory(org=org, **kwargs)
    services.asset_reindex(asset.pk)
    return asset


def test_a_word_finds_the_dotted_name_that_contains_it(org):
    final = _indexed(org, title="summer.campaign.final")
    _indexed(org, title="winter.lookbook")

    assert _found(org, "summer") == [final]
    assert _found(org, "campaign") == [final]
    assert _found(org, "summer.camp") == [final]


def test_part_of_a_name_finds_it(org):
    shot = _indexed(org, title="Lighthouse at dusk")

    assert _found(org, "ghthou") == [shot]
    assert _found(org, "Light") == [shot]


def test_a_small_typo_still_finds_it(org):
    summer = _indexed(org, title="summer.campaign.final")
    _indexed(org, title="autumn leaves")

    assert _found(org, "sumer") == [summer]
    assert _found(org, "campaing") == [summer]


def test_it_finds_tags_prompts_file_names_and_captions(org):
    tagged = AssetRowFactory(org=org, title="IMG_2041", original_filename="IMG_2041.jpg")
    tagged.tags.add(TagFactory(org=org, name="Lookbook"))
    services.asset_reindex(tagged.pk)
    prompted = provider_output(org, prompt="a red lighthouse on a cliff, golden hour", seed=11)
    captioned = _indexed(org, title="Saved from Instagram", metadata={"import": {"caption": "Sunset over Porto"}})
    by_file = _indexed(org, title="Untitled", original_filename="holiday-porto-0042.jpg")

    assert _found(org, "lookbook") == [tagged]
    assert _found(org, "img_2041") == [tagged]
    assert _found(org, "golden cliff") == [prompted]
    assert _found(org, "sunset") == [captioned]
    assert set(_found(org, "porto")) == {captioned, by_file}


def test_the_exact_name_comes_first_then_names_starting_with_it(org):
    inside = _indexed(org, title="Old summer photos")
    typo = _indexed(org, title="Sumer holiday")
    starts = _indexed(org, title="Summer campaign")
    exact = _indexed(org, title="Summer")

    assert _found(org, "summer") == [exact, starts, inside, typo]


def test_every_word_must_match(org):
    both = _indexed(org, title="beach day", metadata={"recipe": {"prompt": "golden hour"}})
    _indexed(org, title="beach night")

    assert _found(org, "beach golden") == [both]


def test_another_orgs_assets_are_never_found(owner, org, people):
    mine = _indexed(org, title="summer.campaign.final")
    theirs = _indexed(org=people.other_org, title="summer.campaign.final")

    response = _search(owner, org, "summer")

    assert _tiles(response) == _ids(mine)
    assert str(theirs.public_id) not in response.content.decode()
    assert _found(org, "sumer") == [mine]


def test_a_search_of_punctuation_alone_says_what_to_type_and_keeps_the_grid(owner, org):
    shot = _indexed(org, title="summer")

    response = _search(owner, org, "?!.,%")

    assert response.status_code == 200
    assert "Search needs at least one letter or number." in text_of(response)
    assert _tiles(response) == _ids(shot)
    assert search_terms("?!.,% --") == []


def test_a_one_letter_search_matches_as_a_substring(owner, org):
    zeta = _indexed(org, title="Zeta")
    _indexed(org, title="Alpha")

    response = _search(owner, org, "z")

    assert response.status_code == 200
    assert _tiles(response) == _ids(zeta)


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE assets_asset; --", "%", "100%_off", "summer' OR '1'='1", "\\", "a" * 200, "<script>x</script>"],
)
def test_sql_and_wildcard_looking_searches_are_just_text(owner, org, query):
    shot = _indexed(org, title="summer")
    literal = _indexed(org, title="100%_off sale")

    response = _search(owner, org, query)

    assert response.status_code == 200
    assert Asset.objects.filter(pk=shot.pk).exists()
    assert "<script>x</script>" not in response.content.decode()
    if query == "100%_off":
        assert _tiles(response) == _ids(literal)
    if query == "%":  # a wildcard character alone is punctuation, not "match everything"
        assert "Search needs at least one letter or number." in text_of(response)


def test_a_search_longer_than_the_box_allows_is_refused_in_words(owner, org):
    _indexed(org, title="summer")

    response = _search(owner, org, "summer " * 40)

    assert response.status_code == 200
    assert "at most 200 characters" in text_of(response)


def test_search_results_page_by_rank_without_repeats(owner, org):
    made = [_indexed(org, title=f"summer {n}") for n in range(5)]

    first, cursor = selectors.asset_page(org, LibraryFilters(q="summer"), size=3)
    second, last = selectors.asset_page(org, LibraryFilters(q="summer"), cursor=cursor, size=3)

    assert len(first) == 3
    assert len(second) == 2
    assert last == ""
    assert {a.pk for a in first + second} == {a.pk for a in made}
    # A made-up or browsing cursor starts the search from the top rather than failing.
    assert selectors.asset_page(org, LibraryFilters(q="summer"), cursor="not-a-cursor", size=3)[0] == first


def test_search_as_you_type_answers_with_the_grid_alone(owner, org):
    shot = _indexed(org, title="summer")

    response = _search(owner, org, "summ", **HTMX, HTTP_HX_TARGET="asset-grid")

    assert _tiles(response) == _ids(shot)
    assert "<html" not in response.content.decode()
    assert "1 result for “summ”" in text_of(response)


def test_renaming_and_tagging_update_what_search_finds(owner, org):
    asset = _indexed(org, title="IMG_0001")

    services.asset_rename(asset=asset, title="Porto sunset")
    assert _found(org, "porto") == [asset]
    services.asset_set_tags(asset=asset, text="travel, lookbook")
    assert _found(org, "lookbok") == [asset]
