"""Edits in a browser, on the demo provider and a real Celery worker: open a library photo, paint a
mask with the mouse, describe the change, apply, watch the job finish and see the result beside
the original; then change the clothes on another photo by picking an outfit."""

import io

import pytest
from playwright.sync_api import Page, expect

from assets.models import Asset
from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from characters.tests import photos
from generation.models import EditJob
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 1.5


def _photo(org, name: str, title: str) -> Asset:
    buffer = io.BytesIO()
    photos.fixture(name).save(buffer, "JPEG", quality=90)
    return asset_create_from_bytes(org=org, data=buffer.getvalue(), filename=f"{title}.jpg")


def test_a_member_inpaints_one_photo_and_changes_the_clothes_on_another(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=40, key="e2e-grant", description="Starter credits")
    portrait = _photo(org, "person-a-1", "portrait")
    second = _photo(org, "person-b-1", "street")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.set_viewport_size({"width": 1280, "height": 1100})  # the whole canvas in view, to paint on
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/library/{portrait.public_id}/")
    page.screenshot(path=str(tmp_path / "asset-edits.png"), full_page=True)

    # --- Inpaint ---------------------------------------------------------------------------------
    page.get_by_role("link", name="Edit (inpaint)…").click()
    expect(page.get_by_role("heading", name="Edit by inpainting")).to_be_visible()
    canvas = page.locator("[data-mask-canvas]")
    expect(canvas).to_have_attribute("width", "820")
    expect(canvas).to_have_attribute("height", "1024")

    # Apply with nothing painted and nothing described: both are pointed out, nothing is sent.
    page.get_by_role("button", name="Apply · 8 credits").click()
    expect(page.locator("#mask-errors")).to_have_text("Paint over the part you want to change.")
    expect(page.locator("#prompt-errors")).to_contain_text("Describe the change you want")
    assert not EditJob.objects.exists()

    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.30, top + height * 0.62)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(left + width * (0.30 + step * 0.035), top + height * (0.62 + (step % 2) * 0.04), steps=3)
    page.mouse.up()
    expect(page.locator("[data-mask-coverage]")).to_contain_text("Painted:")
    expect(page.locator("#mask-errors")).to_be_empty()
    page.get_by_role("button", name="Eraser").click()
    page.mouse.click(left + width * 0.5, top + height * 0.64)
    page.get_by_role("button", name="Undo").click()  # the eraser dab
    page.get_by_label("Describe the change").fill("add a nano banana in the jacket pocket")
    page.screenshot(path=str(tmp_path / "inpaint-page.png"), full_page=True)
    page.get_by_role("button", name="Apply · 8 credits").click()

    job = _job_page(page, site)
    assert job.kind == "inpaint"
    expect(page.locator("#messages")).to_contain_text("Edit started")
    card = page.locator(".job-card").first
    expect(card).to_contain_text("Done", timeout=30_000)
    expect(card).to_contain_text("8 credits charged")
    expect(page.locator("#job-pair img[alt='The result']")).to_be_visible()
    expect(page.locator("#job-details")).to_contain_text("add a nano banana in the jacket pocket")
    page.screenshot(path=str(tmp_path / "inpaint-done.png"), full_page=True)
    job.refresh_from_db()
    result = job.result
    assert list(result.parents.all()) == [portrait]
    assert (result.width, result.height) == (820, 1024)
    assert 1 < job.params["mask_coverage_pct"] < 30

    card.get_by_role("link", name="Open the result").click()
    expect(page.locator(".lineage")).to_contain_text("portrait")
    expect(page.locator("body")).to_contain_text("add a nano banana in the jacket pocket")

    # --- Change clothes ---------------------------------------------------------------------------
    page.goto(f"{site.url}/o/bright/library/{second.public_id}/")
    page.get_by_role("link", name="Change clothes…").click()
    expect(page.get_by_role("heading", name="Change clothes")).to_be_visible()
    page.locator("label.outfit", has_text="Leather jacket").click()
    page.screenshot(path=str(tmp_path / "clothes-page.png"), full_page=True)
    page.get_by_text("Use a clothing photo").click()
    expect(page.get_by_label("Upload a photo of the garment")).to_be_visible()
    page.screenshot(path=str(tmp_path / "clothes-photo-tab.png"), full_page=True)
    page.get_by_text("Pick or describe an outfit").click()
    page.get_by_role("button", name="Change clothes · 12 credits").click()

    job = _job_page(page, site)
    assert job.kind == "clothes"
    card = page.locator(".job-card").first
    expect(card).to_contain_text("Done", timeout=40_000)
    expect(card).to_contain_text("12 credits charged")
    expect(page.locator("#job-pair img[alt='The result']")).to_be_visible()
    expect(page.locator("#job-details")).to_contain_text("Leather jacket")
    page.screenshot(path=str(tmp_path / "clothes-done.png"), full_page=True)
    job.refresh_from_db()
    assert job.result.title == "street · new outfit"
    assert job.params["outfit"] == "leather_jacket"
    assert credits_available(org) == 40 - 8 - 12
    assert errors == []


def _job_page(page: Page, site) -> EditJob:
    page.wait_for_url(f"{site.url}/o/bright/jobs/**")
    public_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    return EditJob.objects.get(public_id=public_id)
