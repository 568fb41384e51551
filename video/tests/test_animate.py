"""Animate a character from a reference video, step by step, on the demo provider: each step a job
with its own credits and its output in the library; the preparation runs by itself and stops for
review before the animation; a failed step is resumed without re-running or re-charging the ones
before it; every refusal that can come before paying does."""

import re

import pytest

from assets.models import Asset
from assets.services import asset_create_from_bytes, asset_delete
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from characters.models import Character
from core.exceptions import DomainError
from core.jobs import JobStatus
from providers.adapters import demo_video
from providers.adapters.base import ProviderError
from safety.models import SafetyEvent
from safety.screen import MinorsRefused
from video import animate
from video.animate import AnimateRefused, AnimateRequest
from video.models import AnimatePipeline, AnimateStep
from video.selectors import pipeline_state
from video.tests import clips

pytestmark = pytest.mark.django_db

Kind = AnimateStep.Kind


@pytest.fixture
def begin(org, people, fund, ava, django_capture_on_commit_callbacks):
    """Start an animation of ``video`` (the reference by default) and run what runs by itself."""

    def go(video, credits=500, **choices):
        if credits:
            fund(credits)
        choices.setdefault("character", ava)
        with django_capture_on_commit_callbacks(execute=True):
            pipeline = animate.pipeline_start(
                org=org, user=people.member, video=video, request=AnimateRequest(**choices)
            )
        return pipeline

    return go


@pytest.fixture
def step(people, django_capture_on_commit_callbacks):
    """Run one step of a pipeline by hand (resume, redo, animate)."""

    def go(pipeline, kind):
        with django_capture_on_commit_callbacks(execute=True):
            return animate.step_start(pipeline=pipeline, kind=kind, user=people.member)

    return go


def _steps(pipeline):
    return list(AnimateStep.objects.filter(pipeline=pipeline).order_by("created_at", "id"))


def _state(pipeline):
    return pipeline_state(AnimatePipeline.objects.prefetch_related("steps").get(pk=pipeline.pk))


def test_it_prepares_swaps_and_refines_by_itself_then_waits_to_animate(begin, step, reference, org, ava):
    pipeline = begin(reference)

    prepare, swap, refine = _steps(pipeline)
    assert [s.kind for s in (prepare, swap, refine)] == [Kind.PREPARE, Kind.SWAP, Kind.REFINE]
    assert all(s.status == JobStatus.SUCCEEDED for s in (prepare, swap, refine)), [s.error for s in _steps(pipeline)]
    assert (prepare.credits, swap.credits, refine.credits) == (0, 9, 6)
    state = _state(pipeline)
    assert state.status == "ready"
    assert state.next_kind == Kind.ANIMATE
    assert credits_available(org) == 500 - 15

    # Each step's output is in the library, a child of the one before.
    clip, frame = prepare.result, prepare.frame
    assert clip.kind == Asset.Kind.VIDEO
    assert list(clip.parents.all()) == [reference]
    assert clip.duration == pytest.approx(3.0, abs=0.1)
    assert list(frame.parents.all()) == [clip]
    assert set(swap.result.parents.all()) == {frame, ava.base_image}
    assert list(refine.result.parents.all()) == [swap.result]
    assert swap.result.character == ava

    animation = step(pipeline, Kind.ANIMATE)
    animation.refresh_from_db()
    assert animation.status == JobStatus.SUCCEEDED, animation.error
    assert animation.credits == 60  # 3 s × 20
    video = animation.result
    assert video.kind == Asset.Kind.VIDEO
    assert set(video.parents.all()) == {refine.result, clip}
    assert video.duration == pytest.approx(3.0, abs=0.15)
    assert video.recipe["operation"] == "animate_animate"
    assert video.recipe["mode"] == "replace"
    assert _state(pipeline).status == "done"
    assert credits_available(org) == 500 - 15 - 60
    assert ledger_problems(org) == []


def test_the_swapped_frame_is_scored_against_the_character(begin, reference, ava):
    pipeline = begin(reference)

    swap = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.SWAP)
    # The demo pastes Ava's own face: it scores as hers.
    assert swap.params["scored"] is True
    assert swap.params["identity_score"] >= 70
    assert swap.result.recipe["identity_score"] == swap.params["identity_score"]


def test_a_frame_without_a_face_stops_before_anything_is_paid(begin, org):
    video = asset_create_from_bytes(org=org, data=clips.pattern_clip(), filename="pattern.mp4")

    pipeline = begin(video)

    (prepare,) = _steps(pipeline)
    assert prepare.status == JobStatus.FAILED
    assert prepare.error.startswith("No face was found in the video's frame at the start.")
    assert "Nothing was charged." in prepare.error
    assert not Hold.objects.exists()
    assert credits_available(org) == 500
    assert _state(pipeline).status == "failed"


def test_a_frame_with_several_faces_stops_before_anything_is_paid(begin, org):
    video = asset_create_from_bytes(
        org=org, data=clips.still_clip("group-3-faces", size=(1280, 720)), filename="group.mp4"
    )

    pipeline = begin(video)

    (prepare,) = _steps(pipeline)
    assert prepare.status == JobStatus.FAILED
    # Three people; the smallest face may be lost to the video's compression: several either way.
    assert re.match(
        r"^[23] faces were found in the video's frame at the start\. Wan Animate follows one person", prepare.error
    )
    assert credits_available(org) == 500


def test_a_reference_longer_than_the_limit_needs_a_range_and_nothing_is_charged(begin, org, monkeypatch):
    monkeypatch.setattr(animate, "MAX_SECONDS", 2.0)
    video = asset_create_from_bytes(org=org, data=clips.still_clip("person-b-1", seconds=5), filename="long.mp4")

    with pytest.raises(AnimateRefused) as refused:
        begin(video, seconds=5)

    assert "An animation follows at most 2 s of video, and you chose 5 s." in refused.value.errors["seconds"]
    assert "nothing was charged" in refused.value.errors["seconds"]
    assert not AnimatePipeline.objects.exists()

    pipeline = begin(video, start=2.5, credits=0)  # without a length: 2 s from 2.5 s
    assert (pipeline.start, pipeline.seconds) == (2.5, 2.0)
    prepare = _steps(pipeline)[0]
    assert prepare.status == JobStatus.SUCCEEDED, prepare.error
    assert prepare.result.duration == pytest.approx(2.0, abs=0.1)


def test_a_part_past_the_end_of_the_video_is_refused(begin, reference):
    with pytest.raises(AnimateRefused) as refused:
        begin(reference, start=2, seconds=2)

    assert refused.value.errors["seconds"].startswith("The video ends at 3 s: from 2 s it can follow at most 1 s.")


def test_an_unreadable_video_cannot_be_animated(begin, org, reference):
    Asset.objects.filter(pk=reference.pk).update(duration=None)
    reference.refresh_from_db()

    with pytest.raises(AnimateRefused) as refused:
        begin(reference)

    assert refused.value.errors["source"] == "This video's length isn't known. Upload it again."


def test_an_image_is_not_a_reference_video(begin, landscape):
    with pytest.raises(AnimateRefused) as refused:
        begin(landscape)

    assert "this is an image" in refused.value.errors["source"]


def test_without_credits_for_the_whole_animation_it_starts_nothing(begin, reference, org):
    with pytest.raises(AnimateRefused) as refused:
        begin(reference, credits=50)

    assert refused.value.errors["credits"].startswith("This animation needs 75 credits in all")
    assert not AnimatePipeline.objects.exists()


def test_adult_content_for_a_character_without_permission_is_refused(begin, reference):
    with pytest.raises(AnimateRefused) as refused:
        begin(reference, nsfw=True)

    assert "Ava Stone doesn't" in refused.value.errors["nsfw"]
    assert not AnimatePipeline.objects.exists()


def test_an_allowed_adult_animation_runs_with_the_safety_checkers_off(begin, reference, adult_ava):
    from providers.models import ProviderCall

    pipeline = begin(reference, character=adult_ava, nsfw=True)

    refine = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.REFINE)
    assert ProviderCall.objects.get(pk=refine.call_id).input["enable_safety_checker"] is False
    assert refine.result.nsfw


def test_outfit_words_naming_a_minor_are_refused_before_any_charge(begin, reference, org):
    with pytest.raises(MinorsRefused) as refused:
        begin(reference, outfit_words="a schoolgirl uniform for a 14 year old")

    assert refused.value.field == "outfit_words"
    assert refused.value.message.startswith("Outfits can't mention children or anyone under 18")
    assert SafetyEvent.objects.get().where == "animate"
    assert not AnimatePipeline.objects.exists()
    assert credits_available(org) == 500


def test_a_character_whose_notes_name_a_minor_is_refused_before_any_charge(begin, reference, ava, org):
    Character.objects.filter(pk=ava.pk).update(notes="looks like a 12 year old")  # saved before the screen
    ava.refresh_from_db()

    with pytest.raises(MinorsRefused) as refused:
        begin(reference)

    assert "Edit the notes on the character's page." in refused.value.message
    assert not AnimatePipeline.objects.exists()
    assert credits_available(org) == 500


def test_a_character_without_a_face_is_refused(begin, reference, ava):
    ava.base_image = None
    ava.save()

    with pytest.raises(AnimateRefused) as refused:
        begin(reference)

    assert refused.value.errors["character"] == "Ava Stone has no face yet to swap in. Finish the character first."


def test_a_character_whose_face_cant_be_found_is_refused_before_anything_is_held(begin, reference, ava, org):
    ava.identity_embedding = None  # a base image in which no face was detected
    ava.save()

    with pytest.raises(AnimateRefused) as refused:
        begin(reference)

    assert "No face can be found in Ava Stone's reference images" in refused.value.errors["character"]
    assert not AnimatePipeline.objects.exists()
    assert credits_available(org) == 500


# --- Failures, resume, redo, cancel ----------------------------------------------------------------------


def test_a_failed_face_swap_returns_its_credits_keeps_the_frame_and_resumes_there(
    begin, step, reference, org, monkeypatch
):
    real = demo_video.face_swap

    def fails(request_id, arguments):
        raise ProviderError("The face swap model is overloaded.")

    monkeypatch.setattr(demo_video, "face_swap", fails)
    pipeline = begin(reference)

    prepare, swap = _steps(pipeline)
    assert prepare.status == JobStatus.SUCCEEDED
    assert swap.status == JobStatus.FAILED
    assert swap.error == "The face swap model is overloaded."
    assert credits_available(org) == 500  # the swap's 9 came back
    state = _state(pipeline)
    assert (state.status, state.next_kind) == ("failed", Kind.SWAP)

    monkeypatch.setattr(demo_video, "face_swap", real)
    step(pipeline, Kind.SWAP)

    kinds = [(s.kind, s.status) for s in _steps(pipeline)]
    assert kinds == [
        (Kind.PREPARE, JobStatus.SUCCEEDED),
        (Kind.SWAP, JobStatus.FAILED),
        (Kind.SWAP, JobStatus.SUCCEEDED),
        (Kind.REFINE, JobStatus.SUCCEEDED),
    ]
    assert AnimateStep.objects.filter(pipeline=pipeline, kind=Kind.PREPARE).count() == 1  # not run again
    assert credits_available(org) == 500 - 9 - 6  # each step charged once
    assert ledger_problems(org) == []


def test_a_failed_animation_returns_its_credits_and_keeps_the_refined_frame(begin, step, reference, org, settings):
    pipeline = begin(reference)
    settings.DEMO_PROVIDER_FAILURE_RATE = 1

    failed = step(pipeline, Kind.ANIMATE)
    failed.refresh_from_db()

    assert failed.status == JobStatus.FAILED
    assert credits_available(org) == 500 - 15
    assert _state(pipeline).next_kind == Kind.ANIMATE

    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    done = step(pipeline, Kind.ANIMATE)
    done.refresh_from_db()
    assert done.status == JobStatus.SUCCEEDED
    assert credits_available(org) == 500 - 15 - 60


def test_redoing_the_swap_redoes_the_refinement_too_and_charges_them_again(begin, step, reference, org):
    pipeline = begin(reference)
    first_swap = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.SWAP)

    step(pipeline, Kind.SWAP)

    swaps = AnimateStep.objects.filter(pipeline=pipeline, kind=Kind.SWAP).order_by("created_at")
    refines = AnimateStep.objects.filter(pipeline=pipeline, kind=Kind.REFINE).order_by("created_at")
    assert swaps.count() == 2
    assert refines.count() == 2
    assert swaps[1].params["seed"] != first_swap.params["seed"] or swaps[1].pk != first_swap.pk
    assert refines[1].source == swaps[1].result  # the new refinement is of the new swap
    assert credits_available(org) == 500 - 2 * 15
    assert _state(pipeline).status == "ready"


def test_it_refuses_to_animate_a_refinement_of_an_older_swap(begin, step, reference, org):
    pipeline = begin(reference, credits=530)
    # A redo of the swap whose refinement couldn't start (credits ran out): the old refinement stays.
    org_credits = credits_available(org)
    from billing.services import credits_adjust

    credits_adjust(org=org, amount=-(org_credits - 9), reason="test", actor=pipeline.created_by)
    step(pipeline, Kind.SWAP)

    pipeline.refresh_from_db()
    assert "The refinement needs 6 credits" in pipeline.note
    with pytest.raises(DomainError, match="refine the new frame first"):
        step(pipeline, Kind.ANIMATE)


def test_cancelling_a_running_step_returns_its_credits_and_keeps_the_ones_before(
    org, people, fund, ava, reference, django_capture_on_commit_callbacks
):
    fund(500)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline = animate.pipeline_start(
            org=org, user=people.member, video=reference, request=AnimateRequest(character=ava)
        )
    # Run again, stopping at the refinement this time: it's queued, its call not yet answered.
    refine = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.REFINE)
    assert refine.status == JobStatus.SUCCEEDED
    redo = animate.step_start(pipeline=pipeline, kind=Kind.REFINE, user=people.member)
    assert credits_available(org) == 500 - 15 - 6

    cancelled = animate.pipeline_cancel(pipeline=pipeline, user=people.member)

    assert cancelled == redo
    redo.refresh_from_db()
    assert redo.status == JobStatus.CANCELLED
    assert credits_available(org) == 500 - 15
    assert AnimateStep.objects.get(pipeline=pipeline, kind=Kind.SWAP).status == JobStatus.SUCCEEDED
    with pytest.raises(DomainError, match="Nothing is running"):
        animate.pipeline_cancel(pipeline=pipeline, user=people.member)


def test_only_one_step_runs_at_a_time(org, people, fund, ava, reference):
    fund(500)
    pipeline = animate.pipeline_start(
        org=org, user=people.member, video=reference, request=AnimateRequest(character=ava)
    )

    with pytest.raises(DomainError, match="A step is running"):
        animate.step_start(pipeline=pipeline, kind=Kind.SWAP, user=people.member)


def test_a_deleted_reference_fails_the_first_step(
    org, people, fund, ava, reference, django_capture_on_commit_callbacks
):
    fund(500)
    pipeline = animate.pipeline_start(
        org=org, user=people.member, video=reference, request=AnimateRequest(character=ava)
    )
    asset_delete(asset=reference)
    with django_capture_on_commit_callbacks(execute=True):
        animate.prepare_run(AnimateStep.objects.get(pipeline=pipeline).pk)

    (prepare,) = _steps(pipeline)
    assert prepare.status == JobStatus.FAILED
    assert prepare.error == "The reference video was deleted before it could be prepared."
    assert credits_available(org) == 500


def test_a_deleted_step_output_is_made_again_by_redoing_its_step(begin, step, reference):
    pipeline = begin(reference)
    refined = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.REFINE).result
    asset_delete(asset=refined)

    with pytest.raises(DomainError, match=r"The refined frame was deleted from the library\. Redo the refinement"):
        step(pipeline, Kind.ANIMATE)
    step(pipeline, Kind.REFINE)
    assert _state(pipeline).status == "ready"


def test_deleting_the_character_stops_its_running_step_and_returns_the_credits(org, people, fund, ava, reference):
    from characters.deletion import character_delete

    fund(500)
    pipeline = animate.pipeline_start(
        org=org, user=people.member, video=reference, request=AnimateRequest(character=ava)
    )
    character_delete(character=ava, user=people.owner)

    (prepare,) = _steps(pipeline)
    assert prepare.status == JobStatus.CANCELLED
    pipeline.refresh_from_db()
    assert pipeline.character is None
    assert pipeline.character_name == "Ava Stone"


def test_the_usage_page_counts_each_step_under_the_character(begin, step, reference, org):
    from usage import selectors as usage

    pipeline = begin(reference)
    step(pipeline, Kind.ANIMATE)

    spent = usage.org_usage(org, days=30)
    by_character = {row.label: row.credits for row in spent.by_character}
    by_operation = {row.label: row.credits for row in spent.by_operation}
    assert by_character["Ava Stone"] == 9 + 6 + 60
    assert by_operation["Animation: face swap"] == 9
    assert by_operation["Animate from a reference video"] == 60


def test_a_first_step_whose_task_was_lost_is_sent_again_and_one_that_hangs_is_stopped(
    org, people, fund, ava, reference, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    fund(500)
    lost = animate.pipeline_start(org=org, user=people.member, video=reference, request=AnimateRequest(character=ava))
    hung = animate.pipeline_start(org=org, user=people.member, video=reference, request=AnimateRequest(character=ava))
    now = timezone.now()
    AnimateStep.objects.filter(pipeline=lost).update(updated_at=now - timedelta(minutes=4))
    AnimateStep.objects.filter(pipeline=hung).update(
        status=JobStatus.RUNNING, created_at=now - timedelta(minutes=16), updated_at=now - timedelta(minutes=16)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert animate.prepare_sweep(now=now) == 2

    assert [s.kind for s in _steps(lost)] == [Kind.PREPARE, Kind.SWAP, Kind.REFINE]  # it ran, and went on
    (stopped,) = _steps(hung)
    assert stopped.status == JobStatus.FAILED
    assert stopped.error.startswith("Preparing the first frame took too long")
    assert animate.prepare_sweep(now=now) == 0


def test_a_video_whose_file_cant_be_decoded_stops_at_the_free_first_step(begin, org):
    from django.core.files.base import ContentFile

    from assets import storage
    from assets.tests.factories import AssetRowFactory

    video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, mime="video/mp4", duration=4.0, width=640, height=360)
    # An MP4 box header and noise: a codec nothing reads.
    storage.storage().save(video.original_key, ContentFile(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40))

    pipeline = begin(video)

    (prepare,) = _steps(pipeline)
    assert prepare.status == JobStatus.FAILED
    assert prepare.error == "We couldn't cut this video; it may be damaged or use an unusual format."
    assert credits_available(org) == 500
    assert not Hold.objects.exists()
