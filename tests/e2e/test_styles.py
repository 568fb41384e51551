"""Style extraction in a browser, on the demo provider and a real Celery worker: extract a style
from a library photo (1 credit), watch the recipe arrive labelled as a demo, edit it, use it in the
Studio with a character, generate a pack and find the recipe in the new image's prompt and lineage."""

import io

import pytest
from playwright.sync_api import Page, expect

from assets.models import Asset
from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from characters import identity
from characters.models import Character
from characters.tests import photos
from generation.models import GenerationImage, GenerationJob
from styles.models import StyleRecipe
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 0.4


def test_a_member_extracts_a_style_edits_it_and_generates_with_it(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=50, key="e2e-grant", description="Starter credits")
    face = photos.photo("person-a-1")
    base = asset_create_from_bytes(org=org, data=face, filename="nova.jpg", created_by=member)
    character = Character.objects.create(
        org=org, name="Nova Reyes", origin="wizard", gender="female", age=27, base_image=base, avatar=base
    )
    identity.reference_set(character, [identity.analyse(io.BytesIO(face))[0].embedding], source="base")
    source = asset_create_from_bytes(
        org=org, data=photos.jpeg(photos.fixture("person-a-2")), filename="street-look.jpg", created_by=member
    )
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1440, "height": 1000})

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The asset page: Extract style, at its price.
    page.goto(f"{site.url}/o/bright/library/{source.public_id}/")
    card = page.locator("#asset-style")
    expect(card).to_contain_text("1 credit")
    card.get_by_role("button", name="Extract style").click()

    # The recipe page polls until the recipe arrives; with no vision model it says it is a demo.
    expect(page.locator("h1")).to_have_text("Style of street-look")
    expect(page.locator("#style-recipe")).to_contain_text("Demo recipe", timeout=30_000)
    expect(page.locator(".swatch")).not_to_have_count(0)
    page.screenshot(path=str(tmp_path / "style-demo.png"), full_page=True)

    # Edit: name it and describe what the demo can't see.
    page.get_by_label("Name").fill("Street look")
    page.get_by_label("Pose").fill("walking towards the camera, one hand in the hair")
    page.get_by_label("Outfit").fill("long camel coat over a black turtleneck")
    page.get_by_label("Background and environment").fill("a rainy city street at dusk")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#messages")).to_contain_text("Style saved")
    expect(page.locator("h1")).to_have_text("Street look")

    # Use in Studio → pick a character → the style is chosen under Your styles.
    page.get_by_role("button", name="Use in Studio").click()
    expect(page.locator("[data-style-banner]")).to_contain_text("Street look")
    page.get_by_role("link", name="Nova Reyes").click()
    styles = page.locator("[data-your-styles]")
    expect(styles).to_contain_text("Street look")
    expect(styles.locator("input:checked")).to_have_count(1)
    expect(styles.locator("label.preset", has_text="Street look").locator("input")).to_be_checked()
    expect(page.locator("[data-style-replaces].is-replaced")).to_have_count(2)
    page.locator('label[for="id_count_0"]').click()  # 1 image
    page.screenshot(path=str(tmp_path / "studio-style.png"), full_page=True)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#pack .pack-title")).to_have_text("1 image ready", timeout=90_000)
    expect(page.locator("#pack")).to_contain_text("Style “Street look”")

    job = GenerationJob.objects.get()
    style = StyleRecipe.objects.get()
    assert job.style_id == style.pk
    prompt = GenerationImage.objects.get(job=job).prompt
    assert "walking towards the camera, one hand in the hair" in prompt
    assert "wearing long camel coat over a black turtleneck" in prompt
    assert "a rainy city street at dusk" in prompt
    made = Asset.objects.get(source=Asset.Source.GENERATED)
    assert made.metadata["recipe"]["style"]["name"] == "Street look"
    assert list(made.parents.all()) == [source]
    assert credits_available(org) == 50 - 1 - 4

    # The org's styles, reachable from the sidebar.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Styles").click()
    expect(page.locator(".style-card")).to_have_count(1)
    expect(page.locator(".style-card")).to_contain_text("In the Studio")
    page.screenshot(path=str(tmp_path / "styles-list.png"), full_page=True)
    assert errors == []
