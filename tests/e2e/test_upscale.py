"""Upscale in a browser, on the demo provider and a real Celery worker: pick a factor with its
price, watch the job go queued → running → done, open the result, and find the charge in the
credit history."""

import pytest
from playwright.sync_api import Page, expect

from assets.models import Asset
from assets.tests.factories import AssetFactory
from billing.services import credits_grant
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 2.5


def test_a_member_upscales_an_image_and_watches_it_finish(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=20, key="e2e-grant", description="Starter credits")
    photo = AssetFactory(org=org, filename="portrait.jpg", size=(400, 300))

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/library/{photo.public_id}/")

    page.get_by_role("button", name="Upscale…").click()
    dialog = page.locator("#upscale-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("800 × 600 px")
    expect(dialog).to_contain_text("2000 × 1500 px")
    expect(dialog).to_contain_text("You have 20 credits available")
    dialog.locator("label.factor", has_text="4×").click()
    page.screenshot(path=str(tmp_path / "upscale-dialog.png"))
    dialog.get_by_role("button", name="Upscale", exact=True).click()

    expect(page.locator("#messages")).to_contain_text("Upscale 4× queued")
    card = page.locator(".job-card").first
    expect(card).to_contain_text("Running", timeout=15_000)
    expect(card).to_contain_text("8 credits held")
    page.screenshot(path=str(tmp_path / "upscale-running.png"))
    expect(card).to_contain_text("Done", timeout=30_000)
    expect(card).to_contain_text("8 credits charged")
    page.screenshot(path=str(tmp_path / "upscale-done.png"))

    card.get_by_role("link", name="Open the result").click()
    result = Asset.objects.get(source=Asset.Source.EDITED)
    expect(page).to_have_url(f"{site.url}/o/bright/library/{result.public_id}/")
    expect(page.locator(".lineage")).to_contain_text("portrait")
    expect(page.locator("body")).to_contain_text("1600 × 1200 px")
    assert (result.width, result.height) == (1600, 1200)

    page.goto(f"{site.url}/o/bright/credits/")
    expect(page.locator("body")).to_contain_text("Upscale 4× of “portrait”")
    page.screenshot(path=str(tmp_path / "credits.png"), full_page=True)
