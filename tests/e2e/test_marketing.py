"""A visitor, in a browser: landing → pricing → a paid plan's button → sign up → verify →
organisation → the plan step with that plan preselected. And the public site on a small phone."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from blog.launch_posts import LAUNCH_POSTS
from tests.e2e.conftest import mail_links

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "violet-harbour-lantern-42"


def test_a_visitor_picks_a_plan_on_the_pricing_page_and_finds_it_preselected_after_signing_up(page: Page, site):
    page.goto(site.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("One character")
    page.get_by_role("navigation", name="Site", exact=True).get_by_role("link", name="Pricing").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Plans that grow with your roster")
    expect(page.locator('.compare-table td[data-plan="creator"][data-field="price"]')).to_have_text("$29 / month")
    page.locator('.plan[data-plan="creator"]').get_by_role("link", name="Choose Creator").click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/\?plan=creator$"))
    expect(page.get_by_text("You chose the Creator plan")).to_be_visible()
    page.get_by_label("Email").fill("rhea@studio.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [confirm] = mail_links("rhea@studio.test", r"https?://\S+/accounts/confirm-email/\S+")
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Organisation name").fill("Rhea Studio")
    page.get_by_role("button", name="Create organisation").click()
    page.get_by_role("button", name="Skip for now").click()

    expect(page.get_by_role("heading", name="Choose a plan for Rhea Studio")).to_be_visible()
    creator = page.locator('.plan[data-plan="creator"]')
    expect(creator).to_have_class(re.compile(r"\bis-chosen\b"))
    expect(creator).to_contain_text("Your pick")
    expect(page.get_by_text("You picked Creator on our pricing page")).to_be_visible()
    page.get_by_role("button", name="Start on Free").click()
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()


def test_the_public_site_fits_a_small_phone(page: Page, site, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("seed_site", stdout=StringIO())
    page.set_viewport_size({"width": 360, "height": 740})

    for path in ["/", "/pricing/", "/blog/", f"/blog/{LAUNCH_POSTS[0].slug}/", "/terms/", "/acceptable-use/"]:
        page.goto(site.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px screen"

    # The section links fold into a menu, which closes once a link is chosen.
    page.goto(site.url)
    expect(page.get_by_role("navigation", name="Site", exact=True)).to_be_hidden()
    page.get_by_label("Menu", exact=True).click()
    menu = page.get_by_role("navigation", name="Site menu")
    menu.get_by_role("link", name="Examples").click()
    expect(menu).to_be_hidden()
    expect(page.get_by_role("heading", name="One face, every scene")).to_be_in_viewport()
    page.get_by_label("Menu", exact=True).click()
    page.get_by_role("navigation", name="Site menu").get_by_role("link", name="Blog").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Blog")
    page.get_by_role("link", name=LAUNCH_POSTS[0].title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LAUNCH_POSTS[0].title)
    expect(page.locator(".post-hero img")).to_have_js_property("complete", True)
    assert page.locator(".post-hero img").evaluate("img => img.naturalWidth") > 0
