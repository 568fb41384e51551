"""The library's batch sidebar in a browser, on the demo provider and a real Celery worker: select two
photos and a video, open the sidebar, see what it can and can't do for each character, watch the
cost follow the choices, pick a character and generate, then land on the pack and watch both images
arrive, each made from its reference."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from assets import storage
from assets.tests import media_samples
from assets.tests.factories import AssetFactory
from billing.services import credits_available, credits_grant
from characters.models import Character
from characters.tests import photos
from generation.models import GenerationJob
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 1.5


def _characters(org):
    """An HD character (trained face model), a face-swap one, and one with no face yet."""
    ava_face = AssetFactory(org=org, filename="ava.jpg", data=photos.photo("person-a-1", min_side=400))
    ava = Character.objects.create(
        org=org, name="Ava Stone", origin=Character.Origin.PHOTOS, avatar=ava_face, base_image=ava_face
    )
    key = storage.storage().save(storage.lora_key(org, ava), ContentFile(b"demo lora"))
    Character.objects.filter(pk=ava.pk).update(lora_status=Character.LoraStatus.READY, lora_key=key)
    nova_face = AssetFactory(org=org, filename="nova.jpg", data=photos.photo("person-b-1", min_side=400))
    Character.objects.create(
        org=org, name="Nova Reyes", origin=Character.Origin.WIZARD, avatar=nova_face, base_image=nova_face
    )
    Character.objects.create(org=org, name="Zed Park", origin=Character.Origin.PHOTOS)


def _shoot(page: Page, path, name: str) -> None:
    page.screenshot(path=str(path / f"{name}.png"))


def test_a_member_generates_a_character_from_two_library_photos(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=40, key="e2e-grant", description="Starter credits")
    _characters(org)
    beach = AssetFactory(org=org, filename="beach look.jpg", size=(900, 1200), seed=3)
    city = AssetFactory(org=org, filename="city look.jpg", size=(1200, 800), seed=4)
    media_samples.mp4(tmp_path / "clip.mp4", seconds=1)
    AssetFactory(org=org, filename="clip.mp4", data=(tmp_path / "clip.mp4").read_bytes())

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/library/")

    # Select the two photos and the video; open the sidebar, close it with Escape, open it again.
    for title in ("beach look", "city look", "clip"):
        page.get_by_label(f"Select {title}").check()
    expect(page.locator("#bulk-bar strong")).to_have_text("3 selected")
    _shoot(page, tmp_path, "bulk-bar")
    page.get_by_role("button", name="Generate with a character…").click()
    drawer = page.locator("#batch-drawer")
    expect(drawer).to_contain_text("2 images")
    expect(drawer).to_contain_text("1 video or file skipped: only images can be references")
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    page.get_by_role("button", name="Generate with a character…").click()
    expect(drawer.locator("form[data-batch]")).to_be_visible()
    expect(page.locator("#batch-title")).to_be_focused()

    # What each character can do.
    expect(drawer.locator("label.batch-character", has_text="Zed Park")).to_contain_text("No face yet")
    expect(drawer.get_by_role("radio", name="Zed Park")).to_be_disabled()
    expect(drawer).not_to_contain_text("Also make video")
    _shoot(page, tmp_path, "batch-panel")

    drawer.locator("label.batch-character", has_text="Nova Reyes").click()
    writer = drawer.get_by_role("switch", name="Prompt generator")
    expect(writer).to_be_checked()
    expect(writer).to_be_disabled()
    expect(drawer.locator("[data-writer-note]")).to_contain_text("can't repaint an image directly")
    expect(drawer.locator("[data-nsfw-reason]")).to_contain_text("Adult content is off for the organisation")
    _shoot(page, tmp_path, "batch-face-swap")

    drawer.locator("label.batch-character", has_text="Ava Stone").click()
    expect(writer).to_be_enabled()
    writer.uncheck()
    expect(drawer.locator("[data-writer-note]")).to_contain_text("repainted straight from the reference")
    expect(drawer.locator("[data-cost-line]")).to_have_text("2 images · 8 credits")
    writer.check()
    expect(drawer.locator("[data-cost-line]")).to_have_text("2 images · 10 credits")

    # A clothing photo and HQ cost more than there is: the exact numbers, and Generate waits.
    drawer.locator("input[name=clothing]").set_input_files(media_samples.text_file(tmp_path / "shirt.jpg"))
    expect(drawer.locator("[data-clothing-name]")).to_have_text("shirt.jpg")
    expect(drawer.locator("[data-cost-line]")).to_have_text("2 images · 34 credits")
    drawer.locator("label.chip", has_text="HQ").click()
    expect(drawer.locator("[data-cost-note]")).to_contain_text("2 images need 42 credits and you have 40 available.")
    expect(drawer.get_by_role("button", name="Generate 2 images")).to_be_disabled()
    drawer.locator(".batch-body").evaluate("body => body.scrollTo(0, body.scrollHeight)")
    _shoot(page, tmp_path, "batch-short")
    drawer.locator("label.chip", has_text="Draft").click()
    drawer.locator("label.chip", has_text="16:9").click()
    expect(drawer.get_by_role("button", name="Generate 2 images")).to_be_enabled()

    # That "photo" was a text file: the panel comes back with the reason, the other choices kept.
    drawer.get_by_role("button", name="Generate 2 images").click()
    expect(drawer.locator(".batch-group.has-error .errors")).to_contain_text("This file is a text file")
    expect(drawer.get_by_role("radio", name="Ava Stone")).to_be_checked()
    expect(drawer.get_by_role("radio", name="16:9")).to_be_checked()
    expect(drawer.locator("[data-cost-line]")).to_have_text("2 images · 10 credits")
    assert not GenerationJob.objects.exists()
    _shoot(page, tmp_path, "batch-error")
    page.set_viewport_size({"width": 390, "height": 844})
    _shoot(page, tmp_path, "batch-panel-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    drawer.get_by_role("button", name="Generate 2 images").click()

    pack = page.locator("#pack")
    expect(page.locator("#messages")).to_contain_text("Making 2 images of Ava Stone from your library images.")
    job = GenerationJob.objects.get()
    expect(pack).to_have_attribute("data-pack-status", "succeeded", timeout=60_000)
    expect(pack).to_have_attribute("data-pack-done", "2")
    _shoot(page, tmp_path, "batch-pack")

    assert job.origin == "batch"
    assert (job.aspect_ratio, job.quality, job.use_prompt_writer) == ("16:9", "draft", True)
    references = [image.reference for image in job.images.order_by("position")]
    assert set(references) == {beach, city}
    for image in job.images.select_related("asset"):
        assert image.reference in image.asset.parents.all()
    assert credits_available(org) == 30
