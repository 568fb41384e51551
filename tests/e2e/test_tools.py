"""Tools in a browser, on a real Celery worker, with files the tests make:

1. Colour grading: the live preview on a canvas (non-blank, and B&W really makes the red band
   grey), undo and redo, then the job: its progress, and before/after on its page.
2. Audio cleanup: the waveform drawn (wavesurfer.js, vendored), a quiet stretch dragged out on it
   and sent with the form, then the job: before and after players on its page.

Neither page may break the Content Security Policy."""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from assets.services import asset_create_from_bytes
from billing.services import credits_available, credits_grant
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from tools import audio
from tools.models import ToolJob
from tools.tests import fixtures

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder
pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The canvas's pixel at (x, y) as a fraction of its size, and how many distinct colours it shows.
CANVAS = """([fx, fy]) => {
  const canvas = document.querySelector("[data-grade-canvas]");
  const context = canvas.getContext("2d");
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4 * 97) colours.add(data[i] + "," + data[i + 1] + "," + data[i + 2]);
  const at = context.getImageData(Math.floor(canvas.width * fx), Math.floor(canvas.height * fy), 1, 1).data;
  return {pixel: [at[0], at[1], at[2]], colours: colours.size};
}"""


def _member(slug):
    org = OrganizationFactory(name=f"{slug.title()} Studio", slug=slug)
    user = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=100, key=f"e2e-tools-{slug}", description="Test credits")
    return org, user


def _sign_in(page: Page, site, user) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return problems


def test_a_member_grades_a_photo_with_a_live_preview_then_runs_it(page: Page, site, worker):
    org, user = _member("graders")
    photo = asset_create_from_bytes(org=org, data=fixtures.chart((960, 640)), filename="chart.jpg")
    problems = _sign_in(page, site, user)

    page.goto(f"{site.url}/o/{org.slug}/tools/")
    page.get_by_role("link", name="Grade an image or a video").click()
    page.get_by_role("link", name="chart").first.click()
    expect(page.get_by_role("heading", name="Colour grade")).to_be_visible()
    expect(page.locator("[data-grade][data-grade-ready]")).to_have_count(1)
    plain = page.evaluate(CANVAS, [0.05, 0.2])  # the red band
    assert plain["colours"] > 20  # the chart, drawn: not a blank canvas
    assert plain["pixel"][0] > plain["pixel"][1] + 80

    page.get_by_label("B&W").check()
    page.wait_for_function(
        """() => { const c = document.querySelector("[data-grade-canvas]").getContext("2d");
                   const d = c.getImageData(20, 20, 1, 1).data; return Math.abs(d[0] - d[2]) < 3; }"""
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tools-grade.png"), full_page=True)
    grey = page.evaluate(CANVAS, [0.05, 0.2])["pixel"]
    assert max(grey) - min(grey) <= 2

    page.get_by_role("button", name="Undo").click()
    expect(page.locator("input[name=look][value='']")).to_be_checked()
    page.wait_for_function(
        """() => { const d = document.querySelector("[data-grade-canvas]").getContext("2d").getImageData(20, 20, 1, 1).data;
                   return d[0] > d[1] + 80; }"""
    )
    page.get_by_role("button", name="Redo").click()
    expect(page.get_by_label("B&W")).to_be_checked()

    page.get_by_role("button", name="Grade the image (15 credits)").click()
    expect(page.locator(".job-card .badge-success")).to_be_visible(timeout=30_000)
    expect(page.locator("img[data-before]")).to_be_visible()
    expect(page.locator("img[data-after]")).to_be_visible()
    job = ToolJob.objects.get()
    assert job.result.parents.get() == photo
    assert credits_available(org) == 85
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_a_member_selects_a_quiet_stretch_on_the_waveform_and_cleans_the_sound(page: Page, site, worker):
    org, user = _member("listeners")
    recording = audio.audio_upload(
        org=org, user=user, upload=SimpleUploadedFile("interview.wav", fixtures.recording("wav", 4.0))
    )
    problems = _sign_in(page, site, user)

    page.goto(f"{site.url}/o/{org.slug}/library/{recording.public_id}/")
    page.get_by_role("link", name="Clean up audio").click()
    wave = page.locator("[data-audio-wave]")
    expect(page.locator("[data-audio-wave][data-ready]")).to_have_count(1)
    box = wave.bounding_box()
    # Drag over the first tenth (the hiss and hum before the voice starts at 0.5 s).
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.05, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    expect(page.locator("[data-audio-selection]")).to_contain_text("Quiet stretch: 0")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tools-audio.png"), full_page=True)
    start = float(page.locator("[data-noise-start]").input_value())
    end = float(page.locator("[data-noise-end]").input_value())
    assert 0 <= start < 0.1
    assert 0.3 < end < 0.5

    page.get_by_label("Hum removal").select_option("50")
    page.get_by_role("button", name="Clean up (10 credits)").click()
    expect(page.locator(".job-card .badge-success")).to_be_visible(timeout=30_000)
    expect(page.locator("audio[data-before]")).to_have_count(1)
    expect(page.locator("audio[data-after]")).to_have_count(1)
    job = ToolJob.objects.get()
    assert job.params["noise_start"] == start
    assert job.params["hum"] == 50
    assert job.result.metadata["recipe"]["noise_floor_db"] < -20
    assert credits_available(org) == 90

    page.goto(f"{site.url}/o/{org.slug}/tools/audio/")
    expect(page.locator(".audio-list input[name=ids]")).to_have_count(2)  # the recording and its cleaned copy
    page.screenshot(path=str(SHOTS / "tools-audio-batch.png"), full_page=True)
    page.goto(f"{site.url}/o/{org.slug}/tools/")
    expect(page.locator(".job-card .badge-success")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "tools-home.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p], problems
