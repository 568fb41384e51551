"""Make video from a library image, on the demo provider: the clip lands in the library as the
image's child, at the length, shape and rate asked; credits are held, charged once, returned on a
failure or a cancel; every refusal says why and charges nothing."""

import pytest

from assets.models import Asset
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from core.jobs import JobStatus
from providers.adapters import demo
from providers.models import ProviderCall
from safety.models import SafetyEvent
from safety.screen import MinorsRefused
from video import services
from video.models import VideoJob
from video.services import VideoRefused, VideoRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def make(org, people, fund, django_capture_on_commit_callbacks):
    """Start a clip and run it through (the demo provider answers at once); the job, refreshed."""

    def go(asset, credits=200, user=None, **choices):
        if credits:
            fund(credits)
        with django_capture_on_commit_callbacks(execute=True):
            job = services.video_start(
                org=org, user=user or people.member, asset=asset, request=VideoRequest(**choices)
            )
        job.refresh_from_db()
        return job

    return go


def test_it_makes_a_clip_of_the_image_as_its_child_and_charges_10_credits_a_second(make, landscape, org):
    job = make(landscape, prompt="she turns to the camera and smiles", seconds=8)

    assert job.status == JobStatus.SUCCEEDED, job.error
    clip = job.result
    assert clip.kind == Asset.Kind.VIDEO
    assert list(clip.parents.all()) == [landscape]
    assert clip.duration == pytest.approx(8.0, abs=0.1)
    assert clip.metadata["media"]["fps"] == 25
    assert (clip.width, clip.height) == (854, 480)  # 16:9; the demo renders at 480p
    assert clip.variants["poster"]
    assert clip.variants["thumb"]
    assert clip.variants["scrub"]
    assert job.credits == 80
    assert clip.credits_cost == 80
    assert clip.recipe["prompt"] == "she turns to the camera and smiles"
    assert clip.recipe["shape"] == "16:9"
    assert clip.recipe["resolution"] == "1080p"
    assert "not AI" in clip.recipe["model"]
    assert credits_available(org) == 200 - 80
    assert ledger_problems(org) == []


def test_the_prompt_generator_writes_the_motion_first_for_one_credit_more(make, landscape, org):
    job = make(landscape, write=True, prompt="slow and dreamy", seconds=6)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.credits == 61
    assert "slow and dreamy" in job.params["written_prompt"]  # the demo writer keeps the direction
    calls = ProviderCall.objects.filter(subject_id=str(job.pk)).order_by("pk")
    assert [c.operation for c in calls] == ["chat", "image_to_video"]
    assert calls[1].input["prompt"] == job.params["written_prompt"]
    assert job.result.recipe["motion_written_by"] == "prompt generator"
    assert credits_available(org) == 200 - 61


def test_a_portrait_image_goes_to_wan_in_its_own_shape_without_sound(make, portrait):
    job = make(portrait, prompt="hair moves in the wind", seconds=6, audio=True)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.params["shape"] == "9:16"
    assert job.params["resolution"] == "580p"
    assert job.params["audio"] is False
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.operation == "image_to_video_wan"
    assert call.input["num_frames"] == 97
    assert call.input["enable_safety_checker"] is True
    assert (job.result.width, job.result.height) == (480, 854)
    assert job.result.metadata["media"]["has_audio"] is False


def test_a_landscape_clip_of_a_portrait_image_is_refused_before_any_charge(make, portrait, org):
    with pytest.raises(VideoRefused) as refused:
        make(portrait, prompt="a pan", shape="16:9")

    assert "portrait" in refused.value.errors["shape"]
    assert "crop away most of the picture" in refused.value.errors["shape"]
    assert not VideoJob.objects.exists()
    assert not Hold.objects.exists()
    assert credits_available(org) == 200


def test_each_choice_is_checked(make, landscape):
    with pytest.raises(VideoRefused) as refused:
        make(landscape, prompt="", seconds=7, resolution="720p", speed="turbo")

    assert set(refused.value.errors) == {"seconds", "resolution", "speed", "prompt"}
    assert "1080p, 1440p, 2160p" in refused.value.errors["resolution"]


def test_a_higher_resolution_costs_more_a_second(make, landscape):
    job = make(landscape, prompt="a pan", seconds=6, resolution="1440p", credits=500)

    assert job.credits == 120
    assert job.operation == "image_to_video_hd"


def test_a_motion_naming_a_minor_is_refused_and_kept_for_staff(make, landscape, org):
    with pytest.raises(MinorsRefused) as refused:
        make(landscape, prompt="a teenager waves")

    assert refused.value.message.startswith("Motion can't mention children or anyone under 18: “teenager”")
    assert refused.value.field == "prompt"
    assert SafetyEvent.objects.get().where == "video"
    assert not VideoJob.objects.exists()
    assert credits_available(org) == 200


def test_a_written_motion_naming_a_minor_fails_the_clip_uncharged_and_is_kept_for_staff(
    make, landscape, org, monkeypatch
):
    monkeypatch.setattr(demo, "_chat", lambda arguments: {"text": '["a teenager waves at the camera"]', "usage": {}})

    job = make(landscape, write=True, prompt="slow and dreamy", seconds=6)

    assert job.status == JobStatus.FAILED
    assert job.error.startswith("The written motion was refused. Prompts can't mention children")
    assert SafetyEvent.objects.get().where == "video_writer"
    assert [c.operation for c in ProviderCall.objects.filter(subject_id=str(job.pk))] == ["chat"]
    assert credits_available(org) == 200
    assert ledger_problems(org) == []


def test_without_the_credits_it_says_how_many_and_holds_nothing(make, landscape, org):
    with pytest.raises(VideoRefused) as refused:
        make(landscape, prompt="a pan", seconds=10, credits=50)

    assert refused.value.errors["credits"] == "A 10-second clip needs 100 credits and you have 50 available."
    assert not Hold.objects.exists()


def test_a_video_is_not_a_source_for_a_clip(make, reference):
    with pytest.raises(VideoRefused) as refused:
        make(reference, prompt="a pan")

    assert refused.value.errors["source"].startswith("Videos are made from images")


# --- Adult content (the NSFW routing) --------------------------------------------------------------


def test_adult_content_is_refused_for_a_character_that_does_not_allow_it(make, landscape, ava, org):
    Asset.objects.filter(pk=landscape.pk).update(character=ava)
    landscape.refresh_from_db()

    with pytest.raises(VideoRefused) as refused:
        make(landscape, prompt="a slow pan", nsfw=True)

    assert "Ava Stone doesn't" in refused.value.errors["nsfw"]
    assert not Hold.objects.exists()


def test_adult_content_of_an_image_with_no_character_is_refused(make, landscape):
    with pytest.raises(VideoRefused) as refused:
        make(landscape, prompt="a slow pan", nsfw=True)

    assert "shows none" in refused.value.errors["nsfw"]


def test_an_allowed_adult_clip_is_written_by_the_model_with_the_safety_checker_off(make, portrait, adult_ava):
    Asset.objects.filter(pk=portrait.pk).update(character=adult_ava)
    portrait.refresh_from_db()

    job = make(portrait, prompt="", nsfw=True)

    assert job.status == JobStatus.SUCCEEDED, job.error
    writer = ProviderCall.objects.get(subject_id=str(job.pk), operation="chat")
    instructions = str(writer.input["messages"])
    assert "Adult (NSFW) content is allowed" in instructions
    render = ProviderCall.objects.get(pk=job.call_id)
    assert render.input["enable_safety_checker"] is False
    assert render.input["enable_output_safety_checker"] is False
    assert job.result.nsfw
    assert job.result.character == adult_ava
    assert job.credits == 61  # the writer is always on for adult content


def test_sfw_clips_ask_for_safe_motion_and_keep_the_checker_on(make, portrait):
    job = make(portrait, write=True)

    writer = ProviderCall.objects.get(subject_id=str(job.pk), operation="chat")
    assert "Keep every prompt safe for work" in str(writer.input["messages"])
    assert ProviderCall.objects.get(pk=job.call_id).input["enable_safety_checker"] is True


# --- Failures, cancel, retry -------------------------------------------------------------------------


def test_a_failed_clip_returns_its_credits_and_retries_as_a_new_job(
    make, landscape, org, settings, people, django_capture_on_commit_callbacks
):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    job = make(landscape, prompt="a pan")

    assert job.status == JobStatus.FAILED
    assert "Simulated failure" in job.error
    assert credits_available(org) == 200

    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    with django_capture_on_commit_callbacks(execute=True):
        again = services.video_job_retry(job=job, user=people.member)
    again.refresh_from_db()
    assert again.status == JobStatus.SUCCEEDED
    assert again.retry_of == job
    assert again.params["prompt"] == "a pan"
    assert credits_available(org) == 200 - 60
    assert ledger_problems(org) == []


def test_cancel_returns_the_credits_and_a_late_result_stores_nothing(
    org, people, fund, landscape, settings, django_capture_on_commit_callbacks
):
    fund(100)
    job = services.video_start(org=org, user=people.member, asset=landscape, request=VideoRequest(prompt="a pan"))
    services.video_job_cancel(job=job, user=people.member)
    job.refresh_from_db()

    assert job.status == JobStatus.CANCELLED
    assert credits_available(org) == 100
    assert not Asset.objects.filter(kind=Asset.Kind.VIDEO).exists()


def test_an_image_deleted_before_the_provider_reads_it_fails_the_job_and_returns_the_credits(
    org, people, fund, landscape, django_capture_on_commit_callbacks
):
    from assets.services import asset_delete
    from providers import gateway

    fund(100)
    job = services.video_start(org=org, user=people.member, asset=landscape, request=VideoRequest(prompt="a pan"))
    asset_delete(asset=landscape)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_submit(job.call_id)
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert "deleted" in job.error
    assert credits_available(org) == 100
    assert ledger_problems(org) == []


def test_a_double_submit_starts_one_job(org, people, fund, landscape):
    fund(200)
    key = "5d6a4f3c-9f0e-4d7f-8a8b-1c2d3e4f5a6b"
    first = services.video_start(
        org=org, user=people.member, asset=landscape, request=VideoRequest(prompt="a"), key=key
    )
    second = services.video_start(
        org=org, user=people.member, asset=landscape, request=VideoRequest(prompt="a"), key=key
    )

    assert first == second
    assert VideoJob.objects.count() == 1
    assert credits_available(org) == 140
