"""Rotoscoping as a job: the price per started minute, a range becoming a WebM with a real alpha
channel and a preview (children of the video, with their recipe), refusals that queue nothing,
and the credits returned on a failure, a provider timeout, a damaged video and a cancel mid-job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import storage
from assets.models import Asset
from assets.services import asset_create_from_bytes
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from core.jobs import JobStatus
from providers.models import ProviderCall
from tools import roto, roto_render
from tools.models import MatteJob
from tools.tests import fixtures, roto_clips

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(org, people):
    return asset_create_from_bytes(org=org, data=roto_clips.moving_box(), filename="walk.mp4", created_by=people.member)


@pytest.fixture
def go(django_capture_on_commit_callbacks):
    """``go(function, **kwargs)``: start (or retry) a job and run the worker's stages after commit."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            job = function(**kwargs)
        job.refresh_from_db()
        return job

    return call


def _read(asset: Asset) -> bytes:
    with storage.storage().open(asset.original_key, "rb") as fh:
        return fh.read()


def test_the_price_is_25_credits_per_started_minute():
    assert [roto.roto_credits(s) for s in (0.5, 59.9, 60, 60.01, 125)] == [25, 25, 25, 50, 75]


def test_a_range_becomes_a_transparent_webm_and_a_preview(clip, org, people, fund, go):
    fund(100)

    job = go(roto.roto_start, org=org, user=people.member, asset=clip, start=0.5, end=2.5)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.progress, job.stage, job.credits) == (100, MatteJob.Stage.COMPOSE, 25)
    matte, preview = job.result, job.preview
    assert matte.mime == "video/webm"
    assert matte.kind == Asset.Kind.VIDEO
    assert preview.mime == "video/mp4"
    for asset in (matte, preview):
        assert list(asset.parents.all()) == [clip]
        assert asset.duration == pytest.approx(2.0, abs=0.15)
        assert asset.recipe["operation"] == "rotoscoping"
        assert asset.recipe["model"] == "Background subtraction against the median frame (demo provider, not AI)"
        assert (asset.recipe["start"], asset.recipe["end"]) == (0.5, 2.5)
    assert matte.credits_cost == 25
    # The WebM keeps its alpha: VP9 flagged AlphaMode 1, and a decoded frame is opaque on the box
    # and transparent on the still background around it.
    data = _read(matte)
    assert "Video: vp9" in roto_clips.describe(data, ".webm")
    assert roto_clips.ALPHA_MODE in data  # the track header says it has alpha, as players need
    alpha = roto_clips.alpha_frame(data, at=1.0)
    x = roto_clips.box_x(0.5 + 1.0)
    assert alpha[roto_clips.BOX_Y + 32, x + 20 : x + 28].min() > 200  # inside the box
    assert alpha[150:175, 250:310].max() < 30  # the bars below and right of it: background
    assert alpha[6:20, 6:60].min() > 150  # the "DEMO · not AI" label, opaque in the corner
    assert "aac" in roto_clips.describe(_read(preview), ".mp4")  # the range's sound came along
    # Charged once; the trimmed range sent to the provider is gone.
    assert credits_available(org) == 75
    assert ledger_problems(org) == []
    assert not storage.storage().exists(job.clip_key)


def test_the_range_sent_is_only_the_chosen_part(clip, org, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    kept = {}
    real = roto_render.compose

    def spy(range_clip, matte, work, **kwargs):
        kept["range"] = roto_clips.describe(range_clip.read_bytes(), ".mp4")
        return real(range_clip, matte, work, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roto_render, "compose", spy)
        with django_capture_on_commit_callbacks(execute=True):
            job = roto.roto_start(org=org, user=people.member, asset=clip, start=1.0, end=1.8)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "Duration: 00:00:00.8" in kept["range"]


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (2.0, 1.0, "at least 0.5 s"),
        (0.0, 0.2, "at least 0.5 s"),
        (-1.0, 2.0, "Choose a range inside the video"),
        (float("nan"), 2.0, "Choose a range inside the video"),
    ],
)
def test_a_bad_range_is_refused_and_nothing_is_held(clip, org, people, fund, start, end, words):
    fund(100)
    with pytest.raises(DomainError, match=words) as refused:
        roto.roto_start(org=org, user=people.member, asset=clip, start=start, end=end)
    assert refused.value.field == "range"
    assert not MatteJob.objects.exists()
    assert credits_available(org) == 100


def test_a_range_longer_than_the_plan_allows_is_refused(clip, org, people, fund, settings):
    fund(100)
    settings.TOOLS_ROTO_PLAN_MAX_SECONDS = {org.plan.slug: 2}
    with pytest.raises(DomainError) as refused:
        roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=3)
    assert refused.value.message == (
        f"Your {org.plan.name} plan rotoscopes up to 2 s at a time, and you chose 3 s. Choose a shorter range "
        "(run the rest as another job), or upgrade your plan for longer ones."
    )
    assert roto.roto_start(org=org, user=people.member, asset=clip, start=1, end=3).credits == 25
    # A plan not named falls back to TOOLS_ROTO_MAX_SECONDS.
    settings.TOOLS_ROTO_PLAN_MAX_SECONDS = {}
    settings.TOOLS_ROTO_MAX_SECONDS = 1
    with pytest.raises(DomainError, match="up to 1 s at a time"):
        roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)


def test_audio_files_images_and_short_credits_are_refused_with_words(clip, recording, org, people, fund):
    with pytest.raises(DomainError) as audio_only:
        roto.roto_start(org=org, user=people.member, asset=recording, start=0, end=1)
    assert audio_only.value.message == roto.AUDIO_ONLY
    photo = asset_create_from_bytes(org=org, data=fixtures.chart(), filename="chart.jpg")
    with pytest.raises(DomainError, match="Rotoscoping works on videos"):
        roto.roto_start(org=org, user=people.member, asset=photo, start=0, end=1)
    fund(10)
    with pytest.raises(DomainError) as short:
        roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)
    assert short.value.message == "Rotoscoping 2 s needs 25 credits and you have 10 available. Nothing was queued."
    other = asset_create_from_bytes(org=people.other_org, data=roto_clips.moving_box(), filename="theirs.mp4")
    with pytest.raises(DomainError, match="isn't in this organisation's library"):
        roto.roto_start(org=org, user=people.member, asset=other, start=0, end=1)
    assert not MatteJob.objects.exists()


def test_a_range_of_more_frames_than_the_demo_samples_is_matted(org, people, fund, go):
    """Over 96 frames the demo samples every n-th frame for its background (an ffmpeg select)."""
    fund(100)
    long_clip = asset_create_from_bytes(
        org=org, data=roto_clips.moving_box(seconds=5.0, audio=False), filename="long.mp4", created_by=people.member
    )

    job = go(roto.roto_start, org=org, user=people.member, asset=long_clip, start=0, end=4.5)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.mime == "video/webm"


def test_an_error_inside_the_demos_work_fails_the_job_and_returns_the_credits(clip, org, people, fund, go, monkeypatch):
    from providers.adapters import demo_matting

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the demo")

    monkeypatch.setattr(demo_matting, "_median_background", broken)
    fund(100)

    job = go(roto.roto_start, org=org, user=people.member, asset=clip, start=0, end=2)

    assert job.status == JobStatus.FAILED
    assert "The demo provider hit an error making this" in job.error
    assert credits_available(org) == 100
    assert ledger_problems(org) == []


def test_a_damaged_video_fails_with_words_and_returns_the_credits(clip, org, people, fund, go):
    fund(100)
    with storage.storage().open(clip.original_key, "wb") as fh:
        fh.write(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 4000)

    job = go(roto.roto_start, org=org, user=people.member, asset=clip, start=0, end=2)

    assert job.status == JobStatus.FAILED
    assert job.error == f"{roto_render.UNREADABLE} Nothing was charged."
    assert job.call_id is None  # nothing was sent to the provider
    assert credits_available(org) == 100
    assert ledger_problems(org) == []


def test_a_provider_failure_returns_the_credits_and_a_retry_holds_again(clip, org, people, fund, go, settings):
    fund(100)
    settings.DEMO_PROVIDER_FAILURE_RATE = 1

    job = go(roto.roto_start, org=org, user=people.member, asset=clip, start=0, end=2)

    assert job.status == JobStatus.FAILED
    assert job.error.startswith("Simulated failure from the demo provider")
    assert job.error.endswith("Nothing was charged: retry it.")
    assert credits_available(org) == 100
    assert not storage.storage().exists(job.clip_key)

    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    again = go(roto.roto_retry, job=job, user=people.member)
    assert again.retry_of == job
    assert again.pk != job.pk
    assert again.status == JobStatus.SUCCEEDED, again.error
    assert credits_available(org) == 75
    assert Hold.objects.filter(org=org).count() == 2
    with pytest.raises(DomainError, match="Only failed or cancelled jobs"):
        roto.roto_retry(job=again, user=people.member)


def test_cancel_while_the_provider_works_stops_the_call_and_returns_the_credits(
    clip, org, people, fund, django_capture_on_commit_callbacks, settings
):
    fund(100)
    settings.DEMO_PROVIDER_LATENCY = 0
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)
    assert len(queued) >= 1
    with django_capture_on_commit_callbacks(execute=False):  # the trim runs; the call is made, not sent
        roto.roto_prepare(job.pk)
    job.refresh_from_db()
    assert (job.status, job.stage) == (JobStatus.RUNNING, MatteJob.Stage.MATTE)
    assert credits_available(org) == 75
    assert 10 <= roto.progress_now(job) < 80

    with django_capture_on_commit_callbacks(execute=True):
        roto.roto_cancel(job=job, user=people.member)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.error == f"Cancelled by {people.member.display_name}."
    assert ProviderCall.objects.get(pk=job.call_id).status == ProviderCall.Status.CANCELLED
    assert credits_available(org) == 100
    assert not storage.storage().exists(job.clip_key)
    roto.roto_compose(job.pk)  # a late task changes nothing
    job.refresh_from_db()
    assert job.result is None
    with pytest.raises(DomainError, match="already finished"):
        roto.roto_cancel(job=job, user=people.member)


def test_cancel_during_the_trim_stops_ffmpeg_and_keeps_nothing(clip, org, people, fund, go, monkeypatch):
    fund(100)
    real = roto_render.trim

    def trim_then_cancel(source, start, end, out, report):
        roto.roto_cancel(job=MatteJob.objects.get(), user=people.member)
        return real(source, start, end, out, lambda fraction: report(fraction) and False)

    monkeypatch.setattr(roto_render, "trim", trim_then_cancel)

    job = go(roto.roto_start, org=org, user=people.member, asset=clip, start=0, end=2)

    assert job.status == JobStatus.CANCELLED
    assert job.call_id is None
    assert job.clip_key == ""
    assert credits_available(org) == 100
    assert not Asset.objects.filter(source=Asset.Source.EDITED).exists()


def test_cancel_as_the_results_are_made_keeps_nothing(clip, org, people, fund, go, monkeypatch):
    fund(100)
    real = roto_render.compose

    def compose_then_cancel(*args, **kwargs):
        made = real(*args, **kwargs)
        roto.roto_cancel(job=MatteJob.objects.get(), user=people.member)
        return made

    monkeypatch.setattr(roto_render, "compose", compose_then_cancel)

    job = go(roto.roto_start, org=org, user=people.member, asset=clip, start=0, end=2)

    assert job.status == JobStatus.CANCELLED
    assert job.result is None
    assert not Asset.objects.filter(source=Asset.Source.EDITED).exists()
    assert credits_available(org) == 100


def test_progress_is_estimated_while_the_provider_mattes(clip, org, people, fund):
    fund(100)
    job = roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=3)
    now = timezone.now()
    job.status, job.stage, job.started_at, job.stage_started_at = JobStatus.RUNNING, MatteJob.Stage.MATTE, now, now
    assert roto.progress_now(job, now) == 10
    expected = roto.matte_expected_seconds(job)
    assert roto.progress_now(job, now + timedelta(seconds=expected / 2)) == 45
    assert roto.progress_now(job, now + timedelta(hours=1)) == 10 + round(70 * 0.95)  # never "done" on a guess
    assert roto.eta_words(job, now + timedelta(seconds=10)).endswith(("s", "min"))
    job.status = JobStatus.SUCCEEDED
    assert roto.progress_now(job) == 100


def test_the_sweeper_sends_a_lost_trim_again_and_fails_a_hung_one(clip, org, people, fund, monkeypatch):
    fund(100)
    job = roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)
    sent = []
    from tools import tasks

    monkeypatch.setattr(tasks.roto_prepare, "delay", lambda job_id: sent.append(job_id))
    later = timezone.now() + timedelta(minutes=5)
    assert roto.sweep(now=later) == 1
    assert sent == [job.pk]
    assert roto.sweep(now=timezone.now() + timedelta(hours=1)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error == roto.TOOK_TOO_LONG
    assert credits_available(org) == 100
