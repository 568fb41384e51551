"""The Content Studio in a browser, on the demo provider and a real Celery worker: open the Studio
from a character, choose a scene and an environment, watch a pack fill in image by image with
likeness scores, let the writer propose prompts, retry an image the provider failed, then inpaint
one image and change the clothes on another."""

import io
import re

import pytest
from playwright.sync_api import Page, expect

from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from characters import identity
from characters.models import Character
from characters.tests import photos
from generation.models import EditJob, GenerationImage, GenerationJob
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 0.4


def _character(org, member):
    """A character in face-swap mode with a real face (the demo pastes it back; such renders are
    "not scored": a face measured against itself says nothing)."""
    face = photos.photo("person-a-1")
    base = asset_create_from_bytes(org=org, data=face, filename="nova.jpg", created_by=member)
    character = Character.objects.create(
        org=org,
        name="Nova Reyes",
        origin="wizard",
        gender="female",
        age=27,
        default_outfit="leather_jacket",
        base_image=base,
        avatar=base,
        created_by=member,
    )
    identity.reference_set(character, [identity.analyse(io.BytesIO(face))[0].embedding], source="base")
    return character


def test_a_member_generates_a_pack_retries_a_failure_and_edits_images(page: Page, site, worker, settings, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=200, key="e2e-grant", description="Starter credits")
    character = _character(org, member)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1440, "height": 1000})

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # From the sidebar's Studio to the character's Studio.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Studio").click()
    page.get_by_role("link", name="Nova Reyes").click()
    expect(page.locator("h1")).to_have_text("Nova Reyes")
    expect(page.locator(".studio-meta")).to_contain_text("Face swap")
    expect(page.locator("#pack")).to_contain_text("Your images appear here")

    # The choices, with the cost following them.
    page.locator("label.preset", has_text="Night out").click()
    page.locator("label.chip", has_text="Café").click()
    expect(page.locator("[data-cost-line]")).to_have_text("5 images · 20 credits")
    page.locator("label.chip", has_text="HQ").click()
    expect(page.locator("[data-cost-line]")).to_have_text("5 images · 40 credits")
    page.locator("label.chip", has_text="Draft").click()

    # "Write prompts for me": five editable prompts.
    page.get_by_role("button", name="Write prompts for me · 1 credit").click()
    expect(page.locator(".written-list textarea")).to_have_count(5, timeout=30_000)
    page.locator("#prompt-0").fill("Nova in a café at night, laughing, neon sign behind")

    # Generate: the pack fills in image by image, with a likeness score on each.
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#pack")).to_contain_text("of 5 done")
    expect(page.locator("#credits-pill")).to_contain_text("179 credits · 20 held")
    page.screenshot(path=str(tmp_path / "studio-running.png"))
    expect(page.locator("#pack .pack-title")).to_have_text("5 images ready", timeout=90_000)
    expect(page.locator("#pack .likeness:not(.is-pending)")).to_have_count(5, timeout=60_000)
    # The top bar follows: the hold became a charge once the pack settled.
    expect(page.locator("#credits-pill")).to_have_text(re.compile(r"^\s*179 credits\s*$"))
    page.screenshot(path=str(tmp_path / "studio-done.png"))
    job = GenerationJob.objects.get(count=5)
    assert job.scene == "night_out"
    assert job.environment == "cafe"
    first = GenerationImage.objects.get(job=job, position=0)
    assert first.prompt == "Nova in a café at night, laughing, neon sign behind"
    assert first.scored  # a demo render: "not scored" (its face is the character's own, pasted back)
    assert first.identity_score is None
    assert credits_available(org) == 200 - 1 - 20

    # A failure: the tile says why and offers a retry, which works.
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    page.locator('label[for="id_count_0"]').click()  # 1 image
    page.get_by_role("button", name="Generate").click()
    failed = page.locator("#pack .tile-failed")
    expect(failed).to_have_count(1, timeout=60_000)
    expect(failed).to_contain_text("Simulated failure")
    expect(page.locator("#pack")).to_contain_text("No images this time")
    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    failed.get_by_role("button", name="Retry · 4 credits").click()
    expect(page.locator("#pack .pack-title")).to_have_text("1 image ready", timeout=60_000)
    retried = GenerationImage.objects.get(job__count=1, job__character=character)
    assert (retried.status, retried.attempts) == ("succeeded", 2)

    # Back to the five: inpaint one image, change clothes on another.
    page.goto(f"{site.url}/o/bright/studio/{character.public_id}/?pack={job.public_id}")
    _edit_image(page, job, 1)
    _change_clothes(page, site, job, 2)
    assert EditJob.objects.filter(kind="inpaint", status="succeeded").count() == 1
    assert EditJob.objects.filter(kind="clothes", status="succeeded").count() == 1
    assert errors == []


def _open_tile_menu(page: Page, position: int):
    tile = page.locator(f"#pack-image-{position}")
    tile.hover()
    tile.locator("details.tile-menu summary").click()
    return tile


def _edit_image(page: Page, job, position: int) -> None:
    tile = _open_tile_menu(page, position)
    tile.get_by_role("link", name="Edit (inpaint)").click()
    canvas = page.locator("canvas").first
    expect(page.locator("[data-mask-form][data-ready]")).to_be_attached()  # the brush's script has run
    page.wait_for_load_state("load")  # the preview under the canvas is laid out
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=12)
    page.mouse.up()
    expect(page.locator("[data-mask-coverage]")).to_contain_text("Painted:")
    page.get_by_label("Describe the change").fill("a red silk scarf around the neck")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("body")).to_contain_text("Done", timeout=60_000)


def _change_clothes(page: Page, site, job, position: int) -> None:
    page.goto(f"{site.url}/o/bright/studio/{job.character.public_id}/?pack={job.public_id}")
    tile = _open_tile_menu(page, position)
    tile.get_by_role("link", name="Change clothes").click()
    page.locator("label", has_text="Summer dress").first.click()
    page.get_by_role("button", name="Change clothes").last.click()
    expect(page.locator("body")).to_contain_text("Done", timeout=60_000)
