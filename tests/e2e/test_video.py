"""Video in a browser, on the demo provider and a real Celery worker:

1. Make a video from a library photo: the choices and their cost, the job running, then the clip
   playing on its page — the video element knows its length and has enough data to play.
2. Animate a character from a reference video, with the face swap failing once: the first frame is
   kept, the swap's credits come back, resuming runs only the swap (and the refinement after it),
   and each step is charged once."""

import io

import pytest
from playwright.sync_api import Page, expect

from assets.models import Asset
from assets.services import asset_create_from_bytes
from billing.models import Hold
from billing.services import credits_available, credits_grant
from characters import identity
from characters.models import Character
from characters.tests import photos
from providers.adapters import demo_video
from providers.adapters.base import ProviderError
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from video.models import AnimateStep, VideoJob
from video.tests import clips

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Resolves when the element has its metadata and enough data to play on (HAVE_FUTURE_DATA = 3).
PLAYABLE = """video => new Promise((resolve, reject) => {
  const done = () => resolve({duration: video.duration, readyState: video.readyState});
  if (video.readyState >= 3) return done();
  video.addEventListener("canplay", done, {once: true});
  video.addEventListener("error", () => reject(new Error("media error " + (video.error && video.error.code))));
  video.preload = "auto";
  video.load();
})"""


@pytest.fixture
def demo_latency():
    return 1.0


def _sign_in(page: Page, site, user) -> None:
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _photo(org, name: str, title: str, size=(800, 500)) -> Asset:
    buffer = io.BytesIO()
    photos.fixture(name).resize(size).save(buffer, "JPEG", quality=90)
    return asset_create_from_bytes(org=org, data=buffer.getvalue(), filename=f"{title}.jpg")


def test_a_member_makes_a_video_from_a_photo_and_plays_it(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=200, key="e2e-grant", description="Starter credits")
    photo = _photo(org, "person-a-1", "terrace")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    _sign_in(page, site, member)
    page.goto(f"{site.url}/o/bright/library/{photo.public_id}/")
    page.get_by_role("link", name="Make video…").click()
    expect(page.get_by_role("heading", name="Make video")).to_be_visible()
    page.get_by_role("textbox", name="Motion").fill("slow push-in, he turns to the camera and smiles")
    page.locator("label.chip", has_text="8 s").click()
    expect(page.locator("[data-cost-line]")).to_have_text("8 s × 10 credits = 80 credits")
    page.locator("label.chip", has_text="Portrait 9:16").click()  # the other shape: refused in the page
    expect(page.locator("[data-shape-errors]")).to_contain_text("crop away most of the picture")
    expect(page.locator("[data-video-submit]")).to_be_disabled()
    page.locator("label.chip", has_text="Landscape 16:9").click()
    page.screenshot(path=str(tmp_path / "make-video.png"), full_page=True)
    page.get_by_role("button", name="Make video · 80 credits").click()

    card = page.locator(".job-card").first
    expect(card).to_contain_text("80 credits held")
    expect(card).to_contain_text("Done", timeout=60_000)
    expect(card).to_contain_text("80 credits charged")
    job = VideoJob.objects.get()
    assert job.status == "succeeded", job.error

    video = page.locator("video[data-result-video]")
    state = video.evaluate(PLAYABLE)
    assert state["readyState"] >= 3
    assert state["duration"] == pytest.approx(8.0, abs=0.1)
    page.screenshot(path=str(tmp_path / "video-done.png"), full_page=True)

    # Its page in the library plays it too, with its facts.
    card.get_by_role("link", name="Open the video").click()
    expect(page.locator("body")).to_contain_text("854 × 480 px")
    expect(page.locator("body")).to_contain_text("25 fps")
    state = page.locator("video[data-asset-video]").evaluate(PLAYABLE)
    assert state["readyState"] >= 3
    assert state["duration"] == pytest.approx(8.0, abs=0.1)
    expect(page.locator(".lineage")).to_contain_text("terrace")
    assert credits_available(org) == 200 - 80
    assert errors == []


def test_an_animation_resumes_at_the_failed_face_swap_and_charges_each_step_once(
    page: Page, site, worker, tmp_path, monkeypatch
):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=300, key="e2e-grant", description="Starter credits")
    face = asset_create_from_bytes(org=org, data=photos.photo("person-a-1"), filename="ava.jpg")
    ava = Character.objects.create(org=org, name="Ava Stone", origin="wizard", age=29, base_image=face, avatar=face)
    identity.reference_set(ava, [identity.analyse(io.BytesIO(photos.photo("person-a-1")))[0].embedding], source="base")
    reference = asset_create_from_bytes(org=org, data=clips.still_clip("person-b-1", seconds=2), filename="dance.mp4")
    real_swap = demo_video.face_swap
    failures = []

    def overloaded_once(request_id, arguments):
        if not failures:
            failures.append(request_id)
            raise ProviderError("The face swap model is overloaded. Try again in a minute.")
        return real_swap(request_id, arguments)

    monkeypatch.setattr(demo_video, "face_swap", overloaded_once)  # the worker runs in this process

    _sign_in(page, site, member)
    page.goto(f"{site.url}/o/bright/library/{reference.public_id}/")
    page.get_by_role("link", name="Animate a character…").click()
    expect(page.locator("[data-total-cost]")).to_have_text("55 credits")  # 9 + 6 + 2 s × 20
    page.get_by_role("button", name="Start: prepare the first frame").click()

    steps = page.locator("#pipeline-steps")
    expect(steps).to_have_attribute("data-pipeline-status", "failed", timeout=60_000)
    swap = page.locator('[data-step="swap"]')
    expect(swap.locator("[data-step-error]")).to_have_text("The face swap model is overloaded. Try again in a minute.")
    expect(swap.locator("[data-step-credits]")).to_have_text("9 credits returned")
    expect(page.locator('[data-step="prepare"]')).to_have_attribute("data-status", "succeeded")
    assert credits_available(org) == 300
    page.screenshot(path=str(tmp_path / "swap-failed.png"), full_page=True)

    page.get_by_role("button", name="Resume: face swap · 9 credits").click()
    expect(steps).to_have_attribute("data-pipeline-status", "ready", timeout=60_000)
    expect(swap.locator("[data-step-credits]")).to_have_text("9 credits charged")
    expect(page.locator('[data-step="refine"] [data-step-credits]')).to_have_text("6 credits charged")
    page.screenshot(path=str(tmp_path / "ready.png"), full_page=True)

    page.get_by_role("button", name="Animate · 40 credits").click()
    expect(steps).to_have_attribute("data-pipeline-status", "done", timeout=60_000)
    state = page.locator("video[data-animation]").evaluate(PLAYABLE)
    assert state["readyState"] >= 3
    assert state["duration"] == pytest.approx(2.0, abs=0.15)
    page.screenshot(path=str(tmp_path / "done.png"), full_page=True)

    # Each step charged once: the prepare free, one swap (the failed one returned), one refinement,
    # one animation; the first frame was made once.
    kinds = list(AnimateStep.objects.order_by("created_at").values_list("kind", "status"))
    assert kinds == [
        ("prepare", "succeeded"),
        ("swap", "failed"),
        ("swap", "succeeded"),
        ("refine", "succeeded"),
        ("animate", "succeeded"),
    ]
    captured = sorted(Hold.objects.filter(status="captured").values_list("operation", "captured_amount"))
    assert captured == [("animate", 40), ("animate_refine", 6), ("animate_swap", 9)]
    assert list(Hold.objects.filter(status="released").values_list("operation", "amount")) == [("animate_swap", 9)]
    assert credits_available(org) == 300 - 55
    expect(page.locator("[data-pipeline-charged]")).to_contain_text("55 credits charged so far")
