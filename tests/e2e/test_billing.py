"""Buying in a browser against the local test-mode Stripe and a real Celery worker: Studio, then a
1,000-credit top-up, each through the test-mode checkout page; the credits arrive on Billing once the
webhooks have been delivered and handled."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from billing.models import Plan
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_owner_buys_studio_and_a_top_up(page: Page, site, worker, tmp_path):
    call_command("sync_plans", stdout=io.StringIO())
    org = OrganizationFactory(name="Bright Studio", slug="bright", plan=Plan.objects.get(slug="free"))
    owner = MembershipFactory(org=org, role="owner").user

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/billing/")

    page.locator('[data-plan="studio"]').get_by_role("button", name="Upgrade to Studio").click()
    expect(page.locator("body")).to_contain_text("Test mode — no card is charged")
    page.screenshot(path=str(tmp_path / "checkout.png"))
    page.get_by_role("button", name="Pay $79 (test)").click()
    expect(page.locator("#checkout-status")).to_contain_text("credits are in your balance", timeout=20_000)
    page.get_by_role("link", name="Back to Billing").click()
    expect(page.locator("#plan-status")).to_contain_text("Renews on")
    expect(page.locator("body")).to_contain_text("6,000 available")

    page.get_by_role("button", name="Buy 1,000 credits for $15").click()
    expect(page.locator("body")).to_contain_text("Test mode — no card is charged")
    page.get_by_role("button", name="Pay $15 (test)").click()
    expect(page.locator("#checkout-status")).to_contain_text("1,000 credits added", timeout=20_000)
    page.get_by_role("link", name="Back to Billing").click()
    expect(page.locator("body")).to_contain_text("7,000 available")
    page.screenshot(path=str(tmp_path / "billing.png"))


def back_from_the_portal(page: Page) -> None:
    """Straight to Billing if the worker has applied the change already; otherwise a page waits for
    Stripe's updates, says when they're applied, and links to Billing."""
    page.get_by_role("link", name="Back to Personae").click()
    expect(page.locator("#portal-status .alert-success, #plan-status").first).to_be_visible(timeout=20_000)
    if page.locator("#portal-status").count():
        expect(page.locator("#portal-status")).to_contain_text("Up to date: Bright Studio is on the")
        page.get_by_role("link", name="Back to Billing").click()


def test_an_owner_upgrades_and_cancels_in_the_portal_and_a_bank_top_up_settles(page: Page, site, worker, tmp_path):
    call_command("sync_plans", stdout=io.StringIO())
    org = OrganizationFactory(name="Bright Studio", slug="bright", plan=Plan.objects.get(slug="free"))
    owner = MembershipFactory(org=org, role="owner").user
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/billing/")
    page.locator('[data-plan="creator"]').get_by_role("button", name="Upgrade to Creator").click()
    page.get_by_role("button", name="Pay $29 (test)").click()
    expect(page.locator("#checkout-status")).to_contain_text("credits are in your balance", timeout=20_000)
    page.get_by_role("link", name="Back to Billing").click()
    expect(page.locator("body")).to_contain_text("2,000 available")

    # Upgrade now in the portal: charged now, the difference in monthly credits granted.
    page.get_by_role("button", name="Manage billing", exact=True).click()
    expect(page.locator("h1")).to_have_text("Manage billing")
    page.get_by_role("button", name="Switch to Personae Studio").click()
    expect(page.locator("body")).to_contain_text("Your plan: Personae Studio")
    back_from_the_portal(page)
    expect(page.locator("h2").first).to_contain_text("Studio")
    expect(page.locator("body")).to_contain_text("6,000 available")

    # Downgrade: scheduled for the renewal, Studio stays until then, and Billing says so.
    page.get_by_role("button", name="Manage billing", exact=True).click()
    page.get_by_role("button", name="Switch to Personae Creator").click()
    expect(page.locator("body")).to_contain_text("Starts at renewal")
    back_from_the_portal(page)
    expect(page.locator("h2").first).to_contain_text("Moves to Creator")
    expect(page.locator("#plan-status")).to_contain_text("you move to Creator")

    # Cancel: the plan stays until the period ends, and Billing says so.
    page.get_by_role("button", name="Manage billing", exact=True).click()
    page.get_by_role("button", name="Cancel plan").click()
    expect(page.locator("body")).to_contain_text("ends at the end of this period")
    back_from_the_portal(page)
    expect(page.locator("#plan-status")).to_contain_text("Cancelled: your plan ends on")
    page.screenshot(path=str(tmp_path / "cancelled.png"))

    # A bank top-up: nothing until it clears, then the credits arrive.
    page.get_by_role("button", name="Buy 1,000 credits for $15").click()
    page.get_by_label("Bank payment that clears a few seconds later").check()
    page.get_by_role("button", name="Pay $15 (test)").click()
    expect(page.locator("#checkout-status")).to_contain_text("1,000 credits added", timeout=30_000)
    page.get_by_role("link", name="Back to Billing").click()
    expect(page.locator("body")).to_contain_text("7,000 available")
