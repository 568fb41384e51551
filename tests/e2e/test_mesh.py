"""Image → 3D in a browser, on a real Celery worker and the demo provider, with an image the test
makes: start it from the Tools section, watch the job, and see the model in the 3D viewer (three.js,
vendored): the canvas draws real pixels, the wireframe toggle changes them, and nothing breaks the
Content Security Policy. The model then has its own viewer page and a drawn tile in the library."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from tools.models import MeshJob
from tools.tests import fixtures

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder
pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _canvas(page: Page) -> Image.Image:
    """The viewer's canvas as the page shows it (a screenshot of the element)."""
    return Image.open(io.BytesIO(page.locator("[data-mesh-canvas]").first.screenshot())).convert("RGB")


def _colours(image: Image.Image) -> int:
    return len(image.resize((96, 72)).getcolors(96 * 72) or [])


def test_a_member_makes_a_3d_model_of_an_image_and_turns_it_in_the_viewer(page: Page, site, worker):
    org = OrganizationFactory(name="Modellers Studio", slug="modellers")
    user = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=100, key="e2e-mesh", description="Test credits")
    asset_create_from_bytes(org=org, data=fixtures.chart((640, 480)), filename="chart.jpg")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{site.url}/o/{org.slug}/tools/")
    page.get_by_role("link", name="Make a 3D model").click()
    page.get_by_role("link", name="chart").first.click()
    expect(page.get_by_role("heading", name="Make a 3D model")).to_be_visible()
    page.get_by_label("About 10,000").check()
    page.get_by_role("button", name="Make the 3D model (25 credits)").click()

    expect(page.locator(".job-card .badge-success")).to_be_visible(timeout=60_000)
    viewer = page.locator("[data-mesh-viewer][data-mesh-ready]")
    expect(viewer).to_have_count(1, timeout=30_000)
    expect(page.locator("[data-mesh-demo]")).to_contain_text("DEMO")
    page.wait_for_timeout(500)  # a few frames drawn
    solid = _canvas(page)
    assert _colours(solid) > 40  # the textured relief, lit: not a blank canvas
    background = solid.getpixel((3, 3))
    middle = solid.getpixel((solid.width // 2, solid.height // 2))
    assert middle != background

    page.get_by_role("button", name="Wireframe").click()
    expect(page.get_by_role("button", name="Wireframe")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(300)
    wire = _canvas(page)
    assert wire.resize((48, 36)).tobytes() != solid.resize((48, 36)).tobytes()
    page.get_by_role("button", name="Side").click()
    box = page.locator("[data-mesh-canvas]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 20, steps=8)
    page.mouse.up()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tools-mesh-job.png"), full_page=True)

    job = MeshJob.objects.get()
    assert job.result is not None
    assert credits_available(org) == 75
    page.get_by_role("link", name="Open the model").click()
    expect(page.locator("[data-mesh-viewer][data-mesh-ready]")).to_have_count(1, timeout=30_000)
    page.wait_for_timeout(300)
    assert _colours(_canvas(page)) > 40
    page.screenshot(path=str(SHOTS / "tools-mesh-viewer.png"), full_page=True)

    page.goto(f"{site.url}/o/{org.slug}/library/")
    tile = page.locator(".tile-link", has_text=job.result.title).locator("img")
    expect(tile).to_have_count(1)
    page.screenshot(path=str(SHOTS / "tools-mesh-library.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p], problems
