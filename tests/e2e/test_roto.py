"""Rotoscoping in a browser, on a real Celery worker, with a video the test makes (a still test
pattern with a red box moving across it): from the video's page to the range chooser, the range
set with the handles and the fields (the length and the price follow), the job run by the demo
provider's background subtraction, and the before/after pair on the job page. No page may break
the Content Security Policy."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from tools.models import MatteJob
from tools.tests import roto_clips

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder
pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_member_chooses_a_range_and_sees_the_cut_out_next_to_the_source(page: Page, site, worker):
    org = OrganizationFactory(name="Roto Studio", slug="roto")
    user = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=100, key="e2e-roto", description="Test credits")
    clip = asset_create_from_bytes(org=org, data=roto_clips.moving_box(4.0), filename="walk.mp4")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{site.url}/o/{org.slug}/library/{clip.public_id}/")
    page.locator("[data-asset-roto]").get_by_role("link", name="Rotoscope").click()
    expect(page.get_by_role("heading", name="Rotoscope")).to_be_visible()
    expect(page.locator("[data-roto-cost]")).to_have_text("25 credits")

    # The end handle, moved with the keyboard, fills the End field; typed times move the handles.
    end_handle = page.get_by_label("End of the range")
    end_handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    expect(page.locator("[data-roto-end]")).to_have_value("3.5")
    page.get_by_label("Start (s)").fill("0.5")
    page.get_by_label("End (s)").fill("2.5")
    expect(page.locator("[data-roto-length]")).to_have_text("2.0 s")
    assert float(page.get_by_label("Start of the range").input_value()) == 0.5
    page.get_by_label("End (s)").fill("0.7")
    expect(page.locator("[data-roto-warn]")).to_contain_text("at least 0.5 s")
    expect(page.locator("[data-roto-submit]")).to_be_disabled()
    page.get_by_label("End (s)").fill("2.5")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tools-roto-range.png"), full_page=True)

    page.get_by_role("button", name="Rotoscope this range (25 credits)").click()
    expect(page.locator(".job-card .badge-success")).to_be_visible(timeout=60_000)
    expect(page.locator("video[data-before]")).to_be_visible()
    after = page.locator("video[data-after]")
    expect(after).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('video[data-after]'); return v && v.readyState >= 1 && v.duration > 1.5; }"
    )
    page.get_by_role("button", name="Play both together").click()
    page.wait_for_function("() => document.querySelector('video[data-after]').currentTime > 0.2")
    page.screenshot(path=str(SHOTS / "tools-roto-job.png"), full_page=True)
    expect(page.get_by_role("link", name="Download the transparent WebM")).to_be_visible()

    job = MatteJob.objects.get()
    assert (job.start, job.end) == (0.5, 2.5)
    assert job.result.mime == "video/webm"
    assert job.result.parents.get() == clip
    assert job.preview.parents.get() == clip
    assert credits_available(org) == 75
    assert not [p for p in problems if "Content Security Policy" in p], problems
