"""A new person, in a browser: landing → sign up → verify by email → create an organisation →
questionnaire → plan → dashboard; then invite a teammate who accepts as a new user."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import QuestionnaireResponse, User
from core.mail import stored_mail_list
from orgs.models import Membership, Role
from tests.e2e.conftest import mail_links

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "violet-harbour-lantern-42"


def sign_up(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_a_new_user_signs_up_verifies_and_reaches_the_dashboard(page: Page, site, settings):
    page.goto(site.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("One character")
    page.get_by_role("link", name="Sign up free").click()

    # A weak password is refused on the page, with nothing stored.
    page.get_by_label("Email").fill("maya@agency.test")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_label("Password (again)").fill("password")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".errors")).to_contain_text("too common")
    assert not User.objects.filter(email="maya@agency.test").exists()

    sign_up(page, "maya@agency.test")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [confirm] = mail_links("maya@agency.test", r"https?://\S+/accounts/confirm-email/\S+")
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()

    # Verified and logged in: set up the workspace.
    expect(page.get_by_role("heading", name="Set up your workspace")).to_be_visible()
    page.get_by_label("Organisation name").fill("Maya Creative")
    page.get_by_role("button", name="Create organisation").click()

    expect(page.get_by_role("heading", name="Tell us a little about you")).to_be_visible()
    page.get_by_label("Agency").check()
    page.get_by_label("2–5 people").check()
    page.get_by_label("Instagram").check()
    page.get_by_label("TikTok").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Choose a plan for Maya Creative")).to_be_visible()
    expect(page.get_by_text("$249")).to_be_visible()
    page.get_by_role("button", name="Start on Free").click()

    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/o/maya-creative/$"))
    expect(page.get_by_text("2 of 6 done")).to_be_visible()  # the organisation, and its plan chosen

    answer = QuestionnaireResponse.objects.get(user__email="maya@agency.test")
    assert (answer.role, answer.team_size, sorted(answer.platforms)) == ("agency", "2-5", ["instagram", "tiktok"])
    welcome = [m for m in stored_mail_list() if m.to == "maya@agency.test" and m.subject.startswith("Welcome")]
    assert len(welcome) == 1
    assert "/o/maya-creative/" in welcome[0].text

    # Characters start with the two ways to make one; empty sections say what to do first.
    page.get_by_role("link", name="Characters").first.click()
    expect(page.get_by_role("heading", name="Create your first character")).to_be_visible()
    page.get_by_role("link", name="Studio").first.click()
    expect(page.get_by_role("heading", name="Create a character first")).to_be_visible()
    page.get_by_role("link", name="Video").first.click()
    expect(page.get_by_role("heading", name="No videos yet")).to_be_visible()
    expect(page.get_by_role("link", name="Make a video from an image")).to_be_visible()

    # The org ID is on the settings page, ready to share.
    page.get_by_role("link", name="Settings").click()
    org_id = page.locator("#org-id").inner_text()
    assert Membership.objects.get(user__email="maya@agency.test").org.public_id.hex == org_id.replace("-", "")


def test_an_owner_invites_a_teammate_who_joins_as_a_new_user(page: Page, site, browser, settings):
    owner = User.objects.create_user("owner@studio.test", PASSWORD, name="Olga Owner", onboarded_at="2026-01-01T00:00Z")
    from allauth.account.models import EmailAddress

    from billing.services import org_create_on_default_plan

    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    org = org_create_on_default_plan(user=owner, name="Bright Studio")
    org.plan_id = org.plan.__class__.objects.get(slug="studio").pk
    org.save()

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()

    page.get_by_role("link", name="Manage members").click()
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".errors")).to_contain_text("valid email")

    page.get_by_label("Email address").fill("nico@studio.test")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("cell", name="nico@studio.test")).to_be_visible()

    [invite] = mail_links("nico@studio.test", r"https?://\S+/invitations/\S+/")
    guest = browser.new_context().new_page()
    guest.goto(invite)
    expect(guest.get_by_role("heading", name="Join Bright Studio")).to_be_visible()
    guest.get_by_role("link", name="Create account").click()
    expect(guest.get_by_label("Email")).to_have_value("nico@studio.test")
    guest.get_by_label("Password", exact=True).fill(PASSWORD)
    guest.get_by_label("Password (again)").fill(PASSWORD)
    guest.get_by_role("button", name="Create account").click()

    # The invitation link proved the address, so no verification email is needed.
    guest.get_by_role("button", name="Accept and join Bright Studio").click()
    expect(guest.get_by_role("heading", name="Tell us a little about you")).to_be_visible()
    guest.get_by_role("button", name="Skip for now").click()
    expect(guest.get_by_role("heading", name="Getting started")).to_be_visible()
    assert Membership.objects.get(org=org, user__email="nico@studio.test").role == Role.MEMBER

    # The owner sees the new member, and can change their role in place.
    page.reload()
    row = page.get_by_role("row").filter(has_text="nico@studio.test")
    row.get_by_label("Role for nico@studio.test").select_option("viewer")
    expect(page.locator(".toast").last).to_contain_text("is now viewer")
    assert Membership.objects.get(org=org, user__email="nico@studio.test").role == Role.VIEWER
