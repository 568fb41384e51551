"""Generate until N keepers, in a browser, on the demo provider and a real Celery worker: the demo
pastes person A (the character) or person B by seed (``DEMO_FACE_POOL``), so some images are off
the likeness; the run keeps going in small batches until it has 3 keepers, reports what it spent
per keeper, and keeps the rejected images, collapsed."""

import io
import itertools

import pytest
from playwright.sync_api import Page, expect

from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from characters import identity
from characters.models import Character
from characters.tests import photos
from characters.tests.photos import FACES_DIR
from generation import packs
from identity.models import KeepersRun
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 0.2


def test_a_member_asks_for_three_keepers_and_gets_them_with_the_rejects_kept(
    page: Page, site, worker, settings, monkeypatch, tmp_path
):
    settings.DEMO_FACE_POOL = [str(FACES_DIR / "person-a-2.jpg"), str(FACES_DIR / "person-b-1.jpg")]
    counter = itertools.count(2)  # seeds 2, 3, 4 …: person A, person B, person A …
    monkeypatch.setattr(packs, "_seeds", lambda first, count: [next(counter) for _ in range(count)])
    org = OrganizationFactory(name="Keeper Studio", slug="keeper")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=200, key="e2e-keepers", description="Starter credits")
    face = photos.photo("person-a-1")
    base = asset_create_from_bytes(org=org, data=face, filename="ada.jpg", created_by=member)
    character = Character.objects.create(
        org=org, name="Ada Vance", origin="wizard", gender="female", age=30, base_image=base, avatar=base
    )
    identity.reference_set(character, [identity.analyse(io.BytesIO(face))[0].embedding], source="base")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/{org.slug}/studio/{character.public_id}/")
    page.get_by_role("link", name="Generate until N keepers").click()
    expect(page.locator("h1")).to_have_text("Generate until N keepers")

    # A budget under one image is refused in the form, nothing held.
    page.get_by_label("Keepers wanted").fill("3")
    page.get_by_label("Credit budget").fill("3")
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".errors")).to_contain_text("doesn't pay for one image")
    assert credits_available(org) == 200

    page.get_by_label("Credit budget").fill("40")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("h1")).to_have_text("3 keepers of Ada Vance")
    expect(page.locator("#keepers-live")).to_have_attribute("data-run-status", "succeeded", timeout=120_000)
    expect(page.locator("[data-kept]")).to_have_text("3 / 3")
    expect(page.locator("[data-keepers] img")).to_have_count(3)
    expect(page.locator("[data-outcome]")).to_contain_text("per keeper")
    # The rejects are there, collapsed, with their (low) likeness.
    rejected = page.locator("[data-rejected]")
    expect(rejected.locator("summary")).to_have_text("Rejected or not made (2)")
    expect(rejected.locator(".is-rejected img").first).not_to_be_visible()
    rejected.locator("summary").click()
    expect(rejected.locator(".is-rejected img")).to_have_count(2)
    expect(rejected.locator(".likeness-badge.is-low")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "keepers-done.png"), full_page=True)

    run = KeepersRun.objects.get()
    assert (run.kept, run.spent) == (3, 20)
    assert credits_available(org) == 200 - 20  # the unused 20 of the budget came back
    # A keeper's page shows its likeness and its history.
    page.locator("[data-keepers] a").first.click()
    expect(page.locator("[data-section=likeness]")).to_contain_text("Likeness")
    expect(page.locator("[data-section=history]")).to_contain_text("How it was made")
    assert errors == []
