"""Rotoscoping against Replicate, through the real ``replicate`` client and the Replicate emulator:
what is sent (only the trimmed range, by a signed URL, for an alpha mask), the matte it returns
made into a WebM with alpha, and a prediction that never finishes timing out with the credits back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assets import storage
from assets.services import asset_create_from_bytes
from billing.services import credits_available, ledger_problems
from core.jobs import JobStatus
from providers import gateway, registry
from providers.models import ProviderCall
from tests.provider_fixtures import provider_fetch
from tools import roto
from tools.tests import roto_clips

pytestmark = pytest.mark.django_db

MATTING = registry.ENDPOINTS["matting"].endpoint_id


@pytest.fixture
def clip(org, people):
    return asset_create_from_bytes(org=org, data=roto_clips.moving_box(), filename="walk.mp4", created_by=people.member)


def _poll(job, django_capture_on_commit_callbacks, times=4):
    job.refresh_from_db()  # the worker's trim made the call
    for _ in range(times):
        with django_capture_on_commit_callbacks(execute=True):
            gateway.call_poll(job.call_id)
    job.refresh_from_db()
    return job


def test_replicate_mattes_the_trimmed_range_and_the_result_keeps_its_alpha(
    replicate_emulator, clip, org, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    matte_url = replicate_emulator.add_file("abc/output.mp4", roto_clips.box_matte(2.0, start=0.5), "video/mp4")
    replicate_emulator.behave(MATTING, output=matte_url)

    with django_capture_on_commit_callbacks(execute=True):
        job = roto.roto_start(org=org, user=people.member, asset=clip, start=0.5, end=2.5)
    job.refresh_from_db()
    call = ProviderCall.objects.get(pk=job.call_id)
    assert (call.provider, call.endpoint_id) == ("replicate", MATTING)
    sent = replicate_emulator.last
    assert sent["version"] == MATTING.split(":")[1]
    assert sent["input"]["output_type"] == "alpha-mask"
    # The provider reads only the chosen range, by a signed URL.
    trimmed = provider_fetch(sent["input"]["input_video"])
    assert "Duration: 00:00:02.0" in roto_clips.describe(trimmed, ".mp4")

    job = _poll(job, django_capture_on_commit_callbacks)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.recipe["model"] == MATTING
    assert job.result.recipe["provider"] == "replicate"
    with storage.storage().open(job.result.original_key, "rb") as fh:
        alpha = roto_clips.alpha_frame(fh.read(), at=1.0)
    x = roto_clips.box_x(1.5)
    assert alpha[roto_clips.BOX_Y + 32, x + 16 : x + 32].min() > 200  # the box, as the matte said
    assert alpha[5:20, 5:60].max() < 30  # no demo label on a real model's result
    assert alpha[150:175, 250:310].max() < 30
    assert credits_available(org) == 75
    assert ledger_problems(org) == []


def test_a_prediction_past_its_deadline_fails_the_job_and_returns_the_credits(
    replicate_emulator, clip, org, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    replicate_emulator.behave(MATTING, statuses=("starting", "processing"))
    with django_capture_on_commit_callbacks(execute=True):
        job = roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)
    job = _poll(job, django_capture_on_commit_callbacks, times=2)
    assert job.status == JobStatus.RUNNING
    assert credits_available(org) == 75

    with django_capture_on_commit_callbacks(execute=True):
        gateway.calls_sweep(now=timezone.now() + registry.deadline("matting") + timedelta(minutes=1))

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert (
        job.error == "The provider took longer than 30 minutes, so we stopped waiting. Nothing was charged: retry it."
    )
    assert credits_available(org) == 100
    assert not storage.storage().exists(job.clip_key)


def test_a_failed_prediction_says_why(replicate_emulator, clip, org, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    replicate_emulator.behave(MATTING, statuses=("starting", "failed"), error="CUDA out of memory")
    with django_capture_on_commit_callbacks(execute=True):
        job = roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)
    job = _poll(job, django_capture_on_commit_callbacks)
    assert job.status == JobStatus.FAILED
    assert "CUDA out of memory" in job.error
    assert credits_available(org) == 100
