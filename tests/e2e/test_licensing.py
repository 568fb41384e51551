"""Likeness licensing in a browser, against the local test-mode Stripe and a real Celery worker: a
creator offers their character, sets up payouts on the (local) Stripe onboarding page and is listed
once the account.updated webhook is handled; a licensee finds them, gets a licence and makes a
licensed pack whose images say whose likeness they are."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Browser, Page, expect

from assets import storage
from assets.tests.factories import AssetFactory
from billing.services import credits_grant
from characters.models import Character, Consent, DatasetImage
from licensing.models import CreatorProfile
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def trained_character(org, user) -> Character:
    """A character from 6 photos with consent and a trained face model (the demo's LoRA file)."""
    from providers.adapters.demo import demo_safetensors

    character = Character.objects.create(org=org, name="Maya", origin=Character.Origin.PHOTOS, created_by=user, age=29)
    for n in range(6):
        asset = AssetFactory(org=org, filename=f"maya-{n}.jpg", seed=n)
        DatasetImage.objects.create(
            org=org, character=character, asset=asset, bucket=DatasetImage.Bucket.CLOSEUP, position=n
        )
    Consent.objects.create(
        org=org, character=character, user=user, user_email=user.email, text_version="v1", text="Photos of me."
    )
    character.lora_key = storage.storage().save(
        storage.lora_key(org, character),
        ContentFile(demo_safetensors(images=6, trigger_word=character.trigger_word, steps=1000)),
    )
    character.lora_status = Character.LoraStatus.READY
    character.save()
    return character


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_creator_onboards_and_a_licensee_makes_a_licensed_pack(page: Page, browser: Browser, site, worker, tmp_path):
    creator_org = OrganizationFactory(name="Maya Lindqvist", slug="maya")
    creator = MembershipFactory(org=creator_org, role="owner").user
    trained_character(creator_org, creator)
    licensee_org = OrganizationFactory(name="Brightside Agency", slug="brightside")
    buyer = MembershipFactory(org=licensee_org, role="owner").user
    credits_grant(org=licensee_org, amount=200, key="e2e-licensing", description="Test")

    # The creator: profile, terms and consent, then payouts on Stripe's (local) onboarding page.
    log_in(page, site.url, creator.email)
    page.goto(f"{site.url}/o/maya/creator/")
    page.get_by_role("link", name="Become a creator").click()
    page.get_by_label("Name licensees see").fill("Maya Lindqvist")
    page.get_by_label("Royalty per image (US $)").fill("0.125")
    page.get_by_label("Commercial", exact=True).check()
    for clause in ("Image ownership", "Licensing rights", "Commercial use", "Content responsibility"):
        page.get_by_label(clause).check()
    page.get_by_role("button", name="Become a creator").click()
    expect(page.locator("h1")).to_have_text("Creator dashboard")
    expect(page.locator("body")).to_contain_text("Not listed in the directory yet")
    page.get_by_role("button", name="Set up payouts with Stripe").click()
    expect(page.locator("body")).to_contain_text("Test mode — no bank account is needed")
    page.screenshot(path=str(tmp_path / "connect.png"))
    page.get_by_role("button", name="Finish setup").click()
    expect(page.locator("h1")).to_have_text("Creator dashboard")
    for _ in range(30):  # the worker delivers and handles account.updated
        if CreatorProfile.objects.filter(payouts_enabled=True).exists():
            break
        page.wait_for_timeout(500)
    page.reload()
    expect(page.locator("body")).to_contain_text("Listed.")
    CreatorProfile.objects.update(auto_approve=True)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # The licensee: finds Maya, gets a licence, makes a pack for commercial use.
    other = browser.new_context().new_page()
    log_in(other, site.url, buyer.email)
    other.goto(f"{site.url}/o/brightside/creators/")
    other.get_by_role("link", name="Maya Lindqvist").click()
    other.get_by_label("What will you use the images for?").fill("A spring campaign")
    other.get_by_role("button", name="Request a licence").click()
    expect(other.locator("h1")).to_have_text("Licence for Maya Lindqvist's likeness")
    expect(other.locator("body")).to_contain_text("Active")
    other.get_by_label("What the images are for").select_option("commercial")
    other.get_by_role("button", name="Make the pack").click()
    expect(other.locator("#pack .pack-title")).to_have_text("5 images ready", timeout=90_000)
    other.screenshot(path=str(tmp_path / "pack.png"), full_page=True)
    other.locator("#pack a.tile-media").first.click()
    expect(other.locator("[data-recipe-license]")).to_contain_text("Licensed likeness of Maya Lindqvist")
    expect(other.locator("[data-recipe-license]")).to_contain_text("written into the file's XMP metadata")
    other.screenshot(path=str(tmp_path / "asset.png"), full_page=True)
    other.locator("[data-licence-link]").click()
    expect(other.locator("h1")).to_have_text("Licence for Maya Lindqvist's likeness")

    page.reload()
    expect(page.locator("body")).to_contain_text("Brightside Agency")
    expect(page.locator("body")).to_contain_text("$0.6250")
