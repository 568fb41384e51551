"""Search as you type and the keyboard shortcuts, in a browser: a typo finds the dotted name without
a page load, "?" lists the shortcuts (and doesn't when typed into the search box), "/" jumps to
search, j/k move through the tiles and x selects one."""

import re

import pytest
from playwright.sync_api import Page, expect

from assets import services
from assets.tests.factories import AssetRowFactory
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(page: Page, site):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    owner = MembershipFactory(org=org, role="owner").user
    for title in ("summer.campaign.final", "winter lookbook", "autumn street"):
        services.asset_reindex(AssetRowFactory(org=org, title=title).pk)
    AssetRowFactory(org=OrganizationFactory(slug="rival"), title="summer.campaign.secret")
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(site.url + "/o/bright/library/")
    expect(page.locator("#asset-grid .tile")).to_have_count(3)
    return page


def test_search_as_you_type_finds_a_typo_without_reloading(library: Page):
    page = library
    page.evaluate("window.__stillHere = true")

    page.locator("#id_q").press_sequentially("sumer", delay=40)

    expect(page.locator("#asset-grid .tile")).to_have_count(1)
    expect(page.locator("#asset-grid .tile-link")).to_have_attribute("title", "summer.campaign.final")
    expect(page.locator("#search-status")).to_contain_text("1 result for “sumer”")
    assert page.evaluate("window.__stillHere") is True  # swapped in place, no page load
    expect(page).to_have_url(re.compile(r"q=sumer"))

    page.locator("#id_q").fill("?!")
    page.locator("#id_q").press("Enter")
    expect(page.locator("#search-status")).to_contain_text("Search needs at least one letter or number.")
    expect(page.locator("#asset-grid .tile")).to_have_count(3)


def test_the_shortcuts_overlay_and_the_library_keys(library: Page):
    page = library
    dialog = page.locator("#shortcuts-dialog")

    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    expect(dialog).to_contain_text("Select or unselect the item in focus")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # "/" goes to the search box; "?" typed there is text, not a shortcut.
    page.keyboard.press("/")
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("?")
    expect(dialog).to_be_hidden()
    expect(page.locator("#id_q")).to_have_value("?")
    page.locator("#id_q").fill("")
    page.locator("#id_q").blur()

    # j moves to the first tile, j again to the second, k back; x selects the one in focus.
    tiles = page.locator("#asset-grid .tile-link")
    page.keyboard.press("j")
    expect(tiles.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(tiles.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(tiles.nth(0)).to_be_focused()
    page.keyboard.press("x")
    expect(page.locator("#asset-grid .tile").nth(0)).to_have_class(re.compile("is-selected"))
    expect(page.locator("#bulk-bar")).to_be_visible()
    expect(page.locator("#bulk-bar strong [data-selected-count]")).to_have_text("1")

    # The "?" button in the top bar opens the same list, for people who don't know the key.
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


@pytest.mark.worker
def test_the_studio_keys_generate_and_step_through_results(page: Page, site, worker):
    from billing.services import credits_grant
    from tests.e2e.test_studio import _character

    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=200, key="e2e-grant", description="Starter credits")
    character = _character(org, member)
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/studio/{character.public_id}/")

    page.keyboard.press("?")
    dialog = page.locator("#shortcuts-dialog")
    expect(dialog.get_by_role("heading", name="Studio")).to_be_visible()
    expect(dialog).to_contain_text("Next result")
    page.keyboard.press("Escape")

    page.keyboard.press("g")  # the Generate button, by key
    results = page.locator("#pack .pack-grid .tile-media[href]")
    expect(results).to_have_count(5, timeout=60_000)
    page.keyboard.press("j")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(results.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(results.nth(0)).to_be_focused()
