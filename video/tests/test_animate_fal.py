"""The animation against the emulated fal queue, through the real fal_client: what each step sends
(checked against the endpoints' contracts), and a provider failure at each step: that step's credits
come back, the steps before it are kept, and resuming runs only from there."""

import pytest

from billing.services import credits_available, ledger_problems
from core.jobs import ACTIVE, JobStatus
from providers import gateway
from video import animate
from video.animate import AnimateRequest
from video.models import AnimateStep

pytestmark = pytest.mark.django_db

Kind = AnimateStep.Kind
SWAP = "easel-ai/advanced-face-swap"
REFINE = "fal-ai/flux-lora/image-to-image"
SEGMENT = "fal-ai/evf-sam"
INPAINT = "fal-ai/flux-lora/inpainting"
ANIMATE = "fal-ai/wan/v2.2-14b/animate/replace"


@pytest.fixture
def emulator(fal_emulator):
    fal_emulator.sample_outputs = True
    return fal_emulator


@pytest.fixture
def drive(django_capture_on_commit_callbacks):
    """Poll whatever step runs until nothing does (the chain starts the next step by itself)."""

    def go(pipeline):
        for _ in range(40):
            running = AnimateStep.objects.filter(pipeline=pipeline, status__in=ACTIVE).first()
            if running is None:
                return
            with django_capture_on_commit_callbacks(execute=True):
                gateway.call_poll(running.call_id)
        raise AssertionError("the pipeline didn't settle")

    return go


@pytest.fixture
def begin(org, people, fund, ava, reference, drive, django_capture_on_commit_callbacks):
    def go(**choices):
        fund(500)
        with django_capture_on_commit_callbacks(execute=True):
            pipeline = animate.pipeline_start(
                org=org, user=people.member, video=reference, request=AnimateRequest(character=ava, **choices)
            )
        drive(pipeline)
        return pipeline

    return go


@pytest.fixture
def resume(people, drive, django_capture_on_commit_callbacks):
    def go(pipeline, kind):
        with django_capture_on_commit_callbacks(execute=True):
            animate.step_start(pipeline=pipeline, kind=kind, user=people.member)
        drive(pipeline)

    return go


def _kinds(pipeline):
    return [(s.kind, s.status) for s in AnimateStep.objects.filter(pipeline=pipeline).order_by("created_at", "id")]


def test_each_step_sends_what_its_endpoint_takes(emulator, begin, resume, ava, org):
    pipeline = begin()

    swap, refine = (r for r in emulator.requests)
    assert swap.endpoint_id == SWAP
    assert set(swap.arguments) == {"face_image_0", "gender_0", "target_image", "workflow_type", "upscale"}
    assert swap.arguments["gender_0"] == "female"
    assert swap.arguments["workflow_type"] == "target_hair"
    assert refine.endpoint_id == REFINE
    assert refine.arguments["strength"] == 0.35
    assert refine.arguments["enable_safety_checker"] is True
    assert "loras" not in refine.arguments  # face-swap mode: no face model yet

    resume(pipeline, Kind.ANIMATE)
    sent = emulator.last
    assert sent.endpoint_id == ANIMATE
    assert sent.arguments["resolution"] == "480p"
    assert sent.arguments["enable_safety_checker"] is True
    assert sent.arguments["enable_output_safety_checker"] is True
    assert emulator.rejected == []
    animation = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.ANIMATE)
    assert animation.status == JobStatus.SUCCEEDED, animation.error
    # Wan answers no length: the cost is measured on the delivered video (4 s at $0.04).
    assert str(animation.result.provider_cost_usd) == "0.160000"
    assert credits_available(org) == 500 - 9 - 6 - 60
    assert ledger_problems(org) == []


def test_a_failed_swap_returns_its_credits_and_resumes_from_the_swap(emulator, begin, resume, org):
    emulator.behave(SWAP, error="No face detected in face_image_0")
    pipeline = begin()

    assert _kinds(pipeline) == [(Kind.PREPARE, JobStatus.SUCCEEDED), (Kind.SWAP, JobStatus.FAILED)]
    assert "No face detected" in AnimateStep.objects.get(pipeline=pipeline, kind=Kind.SWAP).error
    assert credits_available(org) == 500

    emulator.behave(SWAP)
    resume(pipeline, Kind.SWAP)

    assert _kinds(pipeline)[1:] == [
        (Kind.SWAP, JobStatus.FAILED),
        (Kind.SWAP, JobStatus.SUCCEEDED),
        (Kind.REFINE, JobStatus.SUCCEEDED),
    ]
    assert credits_available(org) == 500 - 15


def test_a_failed_refinement_keeps_the_swap(emulator, begin, resume, org):
    emulator.behave(REFINE, error="CUDA out of memory")
    pipeline = begin()

    assert _kinds(pipeline)[-1] == (Kind.REFINE, JobStatus.FAILED)
    assert credits_available(org) == 500 - 9

    emulator.behave(REFINE)
    resume(pipeline, Kind.REFINE)
    assert _kinds(pipeline).count((Kind.SWAP, JobStatus.SUCCEEDED)) == 1
    assert credits_available(org) == 500 - 15


def test_a_clothing_change_that_fails_while_painting_returns_the_whole_step(emulator, begin, org):
    emulator.behave(INPAINT, error="The model timed out")
    pipeline = begin(outfit="casual_jeans")

    refine = AnimateStep.objects.get(pipeline=pipeline, kind=Kind.REFINE)
    assert refine.status == JobStatus.FAILED
    assert refine.credits == 12
    assert [r.endpoint_id for r in emulator.requests] == [SWAP, SEGMENT, INPAINT]
    assert "wearing" in emulator.last.arguments["prompt"]
    assert credits_available(org) == 500 - 9


def test_a_failed_animation_returns_its_credits_and_keeps_the_refined_frame(emulator, begin, resume, org):
    pipeline = begin()
    emulator.behave(ANIMATE, error="Video generation failed")

    resume(pipeline, Kind.ANIMATE)

    assert _kinds(pipeline)[-1] == (Kind.ANIMATE, JobStatus.FAILED)
    assert credits_available(org) == 500 - 15
    emulator.behave(ANIMATE)
    resume(pipeline, Kind.ANIMATE)
    assert _kinds(pipeline)[-1] == (Kind.ANIMATE, JobStatus.SUCCEEDED)
    assert credits_available(org) == 500 - 15 - 60
    assert ledger_problems(org) == []
