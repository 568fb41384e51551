"""Image → video against the emulated fal queue, through the real fal_client: what LTX-2 and Wan 2.2
are sent (checked against their contracts), the clip copied into the library, what it cost, and a
provider failure that returns the credits."""

import pytest

from billing.services import credits_available, ledger_problems
from core.jobs import JobStatus
from providers import gateway
from providers.models import ProviderCall
from video import services
from video.services import VideoRequest

pytestmark = pytest.mark.django_db

LTX = "fal-ai/ltx-2/image-to-video"
LTX_FAST = "fal-ai/ltx-2/image-to-video/fast"
WAN = "fal-ai/wan/v2.2-a14b/image-to-video"


@pytest.fixture
def emulator(fal_emulator):
    fal_emulator.sample_outputs = True  # real MP4s of the length asked for
    return fal_emulator


@pytest.fixture
def start(org, people, fund, django_capture_on_commit_callbacks):
    def go(asset, **choices):
        fund(300)
        with django_capture_on_commit_callbacks(execute=True):
            job = services.video_start(org=org, user=people.member, asset=asset, request=VideoRequest(**choices))
        job.refresh_from_db()
        return job

    return go


def _finish(job, django_capture_on_commit_callbacks):
    """Poll the job's calls until it settles (the emulator moves one step per poll)."""
    for _ in range(10):
        job.refresh_from_db()
        if job.status not in ("queued", "running"):
            return job
        with django_capture_on_commit_callbacks(execute=True):
            gateway.call_poll(job.call_id)
    return job


def test_ltx_2_is_sent_string_durations_at_25_fps_and_the_clip_is_copied_in(
    emulator, start, landscape, org, django_capture_on_commit_callbacks
):
    job = start(landscape, prompt="a slow push-in", seconds=8, speed="pro", audio=False)

    sent = emulator.last
    assert sent.endpoint_id == LTX
    assert sent.arguments["duration"] == "8"
    assert sent.arguments["fps"] == "25"
    assert sent.arguments["aspect_ratio"] == "16:9"
    assert sent.arguments["generate_audio"] is False
    assert "enable_safety_checker" not in sent.arguments  # LTX-2 has no such switch
    assert emulator.rejected == []

    job = _finish(job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.duration == pytest.approx(8, abs=0.1)
    assert str(job.result.provider_cost_usd) == "0.480000"  # 8 s at $0.06
    assert job.result.recipe["model"] == LTX
    assert credits_available(org) == 300 - 80
    assert ledger_problems(org) == []


def test_fast_goes_to_ltx_2_fast(emulator, start, landscape, django_capture_on_commit_callbacks):
    job = start(landscape, prompt="a pan", speed="fast")
    assert emulator.last.endpoint_id == LTX_FAST
    job = _finish(job, django_capture_on_commit_callbacks)
    assert str(job.result.provider_cost_usd) == "0.240000"  # 6 s at $0.04


def test_a_portrait_clip_goes_to_wan_in_frames_with_its_safety_checkers(
    emulator, start, portrait, django_capture_on_commit_callbacks
):
    job = start(portrait, prompt="hair in the wind", seconds=10, resolution="720p")

    sent = emulator.last
    assert sent.endpoint_id == WAN
    assert sent.arguments["num_frames"] == 161
    assert sent.arguments["frames_per_second"] == 16
    assert sent.arguments["aspect_ratio"] == "9:16"
    assert sent.arguments["resolution"] == "720p"
    assert sent.arguments["enable_safety_checker"] is True
    assert job.credits == 200  # 720p: 20 credits a second
    job = _finish(job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.height > job.result.width
    assert str(job.result.provider_cost_usd) == "0.805000"  # 161 frames ÷ 16 at $0.08


def test_a_failed_render_returns_the_credits_with_the_providers_words(
    emulator, start, landscape, org, django_capture_on_commit_callbacks
):
    emulator.behave(LTX, error="CUDA out of memory", error_status=500)
    job = start(landscape, prompt="a pan")

    job = _finish(job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.FAILED
    assert "CUDA out of memory" in job.error
    assert credits_available(org) == 300
    assert ProviderCall.objects.get(pk=job.call_id).cost_usd == 0  # fal bills only successful outputs


def test_an_answer_without_a_video_fails_the_job_in_plain_words(
    emulator, start, landscape, org, django_capture_on_commit_callbacks
):
    emulator.behave(LTX, result={"video": {"url": emulator.add_file("not-a-video.png")}})
    job = start(landscape, prompt="a pan")

    job = _finish(job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.FAILED
    assert job.error == "The provider's result wasn't a video, so nothing was saved."
    assert credits_available(org) == 300
