"""Colour grading jobs: credits held and captured, the result in the library with its lineage and
recipe, videos through ffmpeg's lut3d, uploaded LUTs, and everything that is refused or stops."""

import io

import pytest
from PIL import Image

from assets import storage
from billing.services import credits_available
from core.exceptions import DomainError
from core.jobs import JobStatus
from tools import ffmpeg, grading, luts, services
from tools.models import ToolJob
from tools.tests import fixtures


def _pixels(asset):
    with storage.storage().open(asset.original_key, "rb") as fh:
        return Image.open(io.BytesIO(fh.read())).convert("RGB")


def test_grading_an_image_puts_the_graded_copy_in_the_library(run, org, people, fund, photo):
    fund(100)
    job = run(
        grading.grade_start,
        org=org,
        user=people.member,
        asset=photo,
        data={"look": "black-and-white", "exposure": "0.5", "contrast": "20"},
    )
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    assert credits_available(org) == 100 - 15
    result = job.result
    assert list(result.parents.all()) == [photo]
    assert result.metadata["recipe"]["look"] == "black-and-white"
    assert result.metadata["recipe"]["adjustments"]["contrast"] == 20
    assert result.metadata["recipe"]["job"] == str(job.public_id)
    assert result.credits_cost == 15
    r, g, b = _pixels(result).getpixel((40, 40))  # the red band, now grey
    assert abs(r - g) <= 2
    assert abs(g - b) <= 2
    assert (result.width, result.height) == (photo.width, photo.height)


def test_grading_a_video_keeps_its_sound_and_length(run, org, people, fund, video):
    fund(100)
    job = run(grading.grade_start, org=org, user=people.member, asset=video, data={"look": "cinematic"})
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result.kind == "video"
    assert job.result.metadata["media"]["has_audio"]
    assert abs(job.result.duration - video.duration) < 0.2
    assert job.result.title.endswith("graded Cinematic")


def test_an_uploaded_lut_grades_and_a_corrupt_one_names_its_line(run, org, people, fund, photo):
    fund(100)
    text = luts.write_cube(luts.identity_grid(5)[..., ::-1].copy(), "swap red and blue")
    lut = grading.lut_upload(org=org, user=people.member, name="Swap.cube", data=text.encode())
    assert (lut.name, lut.size) == ("Swap", 5)
    job = run(grading.grade_start, org=org, user=people.member, asset=photo, data={"look": f"lut:{lut.public_id}"})
    assert job.status == JobStatus.SUCCEEDED, job.error
    r, _g, b = _pixels(job.result).getpixel((40, 40))  # red (200, 60, 50) becomes blue
    assert b > 150
    assert r < 100
    broken = text.replace("0.500000 0.000000 0.000000", "0.5 zero 0", 1)
    with pytest.raises(luts.CubeError, match=r"^Line \d+: “0.5 zero 0” isn't three numbers."):
        grading.lut_upload(org=org, user=people.member, name="Broken.cube", data=broken.encode())


def test_a_grade_that_changes_nothing_or_names_no_look_is_refused_before_any_charge(org, people, fund, photo):
    fund(100)
    with pytest.raises(DomainError, match="changes nothing"):
        grading.grade_start(org=org, user=people.member, asset=photo, data={})
    with pytest.raises(DomainError, match="isn't available"):
        grading.grade_start(org=org, user=people.member, asset=photo, data={"look": "lut:not-a-lut"})
    with pytest.raises(DomainError, match="Exposure must be between"):
        grading.grade_start(org=org, user=people.member, asset=photo, data={"exposure": "9"})
    assert credits_available(org) == 100
    assert not ToolJob.objects.exists()


def test_without_enough_credits_nothing_is_queued(org, people, fund, photo):
    fund(10)
    with pytest.raises(DomainError, match="Nothing was queued"):
        grading.grade_start(org=org, user=people.member, asset=photo, data={"look": "vintage"})
    assert not ToolJob.objects.exists()


def test_a_video_longer_than_the_limit_is_refused(org, people, fund, video, settings):
    fund(100)
    settings.TOOLS_GRADE_VIDEO_MAX_SECONDS = 1
    with pytest.raises(DomainError, match="colour grading takes videos up to"):
        grading.grade_start(org=org, user=people.member, asset=video, data={"look": "vintage"})


def test_cancelling_mid_job_stops_it_keeps_nothing_and_returns_the_credits(run, org, people, fund, video, monkeypatch):
    fund(100)
    reporter = services.progress_reporter

    def cancel_at_first_report(job_id):
        report = reporter(job_id)

        def cancelling(fraction):
            if fraction > 0.1:
                services.tool_cancel(job=ToolJob.objects.get(pk=job_id), user=people.member)
            return report(fraction)

        return cancelling

    monkeypatch.setattr(services, "progress_reporter", cancel_at_first_report)
    job = run(grading.grade_start, org=org, user=people.member, asset=video, data={"look": "moody"})
    assert job.status == JobStatus.CANCELLED
    assert job.result is None
    assert credits_available(org) == 100
    assert video.children.count() == 0


def test_a_run_that_overruns_fails_and_returns_the_credits_and_retry_starts_again(
    run, org, people, fund, video, settings
):
    fund(100)
    settings.TOOLS_TIMEOUT_SECONDS = 0.000001
    job = run(grading.grade_start, org=org, user=people.member, asset=video, data={"look": "moody"})
    assert job.status == JobStatus.FAILED
    assert "took longer than" in job.error
    assert credits_available(org) == 100
    settings.TOOLS_TIMEOUT_SECONDS = 600
    again = run(services.tool_retry, job=job, user=people.member)
    assert again.status == JobStatus.SUCCEEDED, again.error
    assert again.retry_of == job
    assert credits_available(org) == 85


def test_a_damaged_video_fails_with_words_and_returns_the_credits(run, org, people, fund, video, monkeypatch):
    fund(100)
    monkeypatch.setattr(ffmpeg, "fetch", lambda key, to, what: to.write_bytes(b"\x00" * 100) and to)
    job = run(grading.grade_start, org=org, user=people.member, asset=video, data={"look": "moody"})
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("We couldn't grade this video")
    assert credits_available(org) == 100


def test_a_lost_task_is_sent_again_by_the_sweep(org, people, fund, photo, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    fund(100)
    job = grading.grade_start(org=org, user=people.member, asset=photo, data={"look": "vintage"})  # never sent
    assert services.sweep(now=timezone.now() + timedelta(minutes=5)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert fixtures  # the chart the photo is made of
