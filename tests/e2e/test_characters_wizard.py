"""The wizard in a browser, on the demo provider and a real Celery worker: describe a character
(an age under 18 is refused), watch four faces arrive, choose one, see the character in face-swap
mode at once, follow the sheet → training pipeline, and land in HD mode with a notification."""

import pytest
from playwright.sync_api import Page, expect

from billing.services import credits_available, credits_grant
from characters.models import Character
from notifications.models import Notification
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 0.6


def _shoot(page: Page, path, name: str) -> None:
    page.screenshot(path=str(path / f"{name}.png"), full_page=True)


def _resize(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 800 else 844})
    page.wait_for_timeout(300)  # the navigation drawer slides away below 820 px


def test_a_member_designs_a_character_and_it_switches_to_hd_by_itself(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=16 + 360, key="e2e-grant", description="Starter credits")

    _resize(page, 1280)
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{site.url}/o/bright/characters/")
    expect(page.locator("h2", has_text="Create your first character")).to_be_visible()
    page.get_by_role("link", name="New character").click()
    expect(page.locator("#path-wizard")).to_be_visible()
    _shoot(page, tmp_path, "new")
    page.get_by_role("link", name="Open the wizard").click()

    form = page.locator("form.wizard-form")
    form.get_by_label("Name", exact=True).fill("Nova Reyes")
    form.locator("label.chip", has_text="Woman").click()
    form.get_by_label("Age", exact=True).fill("17")
    form.locator("label.chip", has_text="Auburn").click()
    form.locator("label.chip", has_text="Long, wavy").click()
    form.locator("label.chip", has_text="Green").click()
    form.locator("label.outfit", has_text="Leather jacket").click()
    _shoot(page, tmp_path, "wizard-form")
    page.get_by_role("button", name="Make four faces").click()

    expect(page.locator(".age-field .errors")).to_contain_text("Characters are adults: the age must be 18 or more.")
    assert not Character.objects.exists()
    page.locator("form.wizard-form").get_by_label("Age", exact=True).fill("27")
    page.get_by_role("button", name="Make four faces").click()

    expect(page.locator("h1")).to_contain_text("Choose a face for Nova Reyes")
    faces = page.get_by_role("button", name="Use this face")
    expect(faces).to_have_count(4, timeout=30_000)
    expect(page.locator("#candidates")).to_contain_text("Pick the face you like best")
    _shoot(page, tmp_path, "candidates")
    _resize(page, 390)
    _shoot(page, tmp_path, "candidates-390")
    _resize(page, 1280)

    faces.nth(1).click()

    character = Character.objects.get()
    expect(page).to_have_url(f"{site.url}/o/bright/characters/{character.public_id}/")
    expect(page.locator("#messages")).to_contain_text("works now in face-swap mode")
    expect(page.locator("#mode-badge")).to_contain_text("Face swap")
    expect(page.locator("#pipeline-card")).to_contain_text("Character sheet")
    _shoot(page, tmp_path, "detail-pipeline")

    # The card polls; the badge in the header follows it when HD mode switches on.
    expect(page.locator("#pipeline-card")).to_contain_text("Demo run finished", timeout=90_000)
    expect(page.locator("#mode-badge")).to_contain_text("HD demo")
    _shoot(page, tmp_path, "detail-hd")
    _resize(page, 390)
    _shoot(page, tmp_path, "detail-hd-390")

    character.refresh_from_db()
    assert character.mode == "hd"
    assert credits_available(org) == 0
    note = Notification.objects.get(user=member, org=org)
    assert "Demo run finished" in note.title  # the demo trained nothing, and never says it did

    page.goto(f"{site.url}/o/bright/notifications/")
    expect(page.locator("body")).to_contain_text(note.title)
    _resize(page, 1280)
    page.goto(f"{site.url}/o/bright/characters/")
    expect(page.locator(".char-card")).to_contain_text("Nova Reyes")
    expect(page.locator(".char-card")).to_contain_text("HD")
    _shoot(page, tmp_path, "list")
