"""Animate a character from a reference video (PRODUCT.md §5), one step at a time.

    prepare (here, free) ──▶ face swap ──▶ refinement ──▶ ‖ review ‖ ──▶ Wan 2.2 Animate ──▶ library
    cut the clip, frame 1,    the character's  image-to-image, or      you press        move | replace
    count its faces           face on frame 1  a clothing change       Animate

Every step is an ``AnimateStep``: a job with its own credits (``animate_swap`` 9, ``animate_refine``
6 or ``clothing_change`` 12, ``animate`` 20 a second), its own provider call and its output in the
library, each a child of the one before. The preparation steps run one after another by themselves;
the animation waits for the person to look at the refined frame and press Animate. A step can be
redone (another seed) while nothing runs; a step that failed or was cancelled is resumed from
there: a new step of the same kind, the steps before it kept as they are and not charged again.

The first frame must show exactly one face, found before anything is paid for. The face swap uses
``easel-ai/advanced-face-swap`` rather than PuLID: it keeps the frame's pose, framing, clothes and
light, which the animation needs to line up with the video (docs/video.md has the measurements).
Locks: pipeline → step → hold, so a cancel and a finishing step never deadlock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assets import media
from assets.models import Asset
from assets.services import asset_create_from_file, asset_delete
from billing.services import credits_available
from characters import attributes
from characters.models import Character
from characters.services import character_words_screen, nsfw_permitted
from core import placement
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from jobs import engine
from orgs.models import Organization
from providers import gateway
from safety.services import text_screen
from video import frames, steps
from video.models import AnimatePipeline, AnimateStep

log = logging.getLogger(__name__)

MAX_SECONDS = 30.0  # our cap on what one animation follows (fal doesn't publish Wan Animate's)
MIN_SECONDS = 1.0
RESOLUTIONS = ("480p", "580p", "720p")
Kind = AnimateStep.Kind


class AnimateRefused(DomainError):
    """Choices that can't be used, each with its reason: ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)


@dataclass(frozen=True)
class AnimateRequest:
    character: Character | None
    mode: str = AnimatePipeline.Mode.REPLACE
    resolution: str = "480p"
    start: float = 0.0
    seconds: float = 0.0  # 0: as much of the video as we take, from ``start``
    outfit: str = ""
    outfit_words: str = ""
    nsfw: bool = False
    auto_animate: bool = False  # go on to the animation after the refinement, without stopping for review


# --- Prices -------------------------------------------------------------------------------------------


def estimate(*, seconds: float, clothes: bool) -> dict[str, int]:
    """What each paid step costs, and the whole animation (redoing a step costs it again)."""
    costs: dict[str, int] = {
        kind: steps.step_credits(kind, seconds=seconds, clothes=clothes)
        for kind in (Kind.SWAP, Kind.REFINE, Kind.ANIMATE)
    }
    return {**costs, "total": sum(costs.values())}


# --- Starting --------------------------------------------------------------------------------------


def video_problem(video: Asset) -> str:
    if video.kind != Asset.Kind.VIDEO:
        return "Animations follow a reference video, and this is " + (
            "an image. Use Make video for images." if video.kind == Asset.Kind.IMAGE else "a file."
        )
    if not video.duration or not video.width:
        return "This video's length isn't known. Upload it again."
    return ""


def character_problem(character: Character) -> str:
    if character.base_image_id is None:
        return f"{character.name} has no face yet to swap in. Finish the character first."
    if not character.identity_embedding:
        # The face swap would fail at the provider, after the frame was prepared and credits held.
        return (
            f"No face can be found in {character.name}'s reference images (its page shows them), so there is "
            "none to swap in."
        )
    return ""


def settled(video: Asset, request: AnimateRequest) -> AnimateRequest:
    """The request with its length filled in: the rest of the video from ``start``, at most MAX_SECONDS."""
    seconds = request.seconds or min(MAX_SECONDS, max(0.0, (video.duration or 0) - request.start))
    words = " ".join((request.outfit_words or "").split())
    return AnimateRequest(
        character=request.character,
        mode=request.mode,
        resolution=request.resolution,
        start=round(request.start, 2),
        seconds=round(seconds, 2),
        outfit="" if words else request.outfit,
        outfit_words=words,
        nsfw=request.nsfw,
        auto_animate=request.auto_animate,
    )


def animate_problems(video: Asset, request: AnimateRequest) -> dict[str, str]:
    """What's wrong with a settled request, by field; {} if nothing. Everything here is checked
    before anything is charged."""
    problems: dict[str, str] = {}
    duration = video.duration or 0
    if request.character is None:
        problems["character"] = "Choose the character to animate."
    elif problem := character_problem(request.character):
        problems["character"] = problem
    if request.mode not in AnimatePipeline.Mode.values:
        problems["mode"] = "Choose replace or move."
    if request.resolution not in RESOLUTIONS:
        problems["resolution"] = "Choose 480p, 580p or 720p."
    if not 0 <= request.start < duration:
        problems["start"] = f"Start within the video: it is {duration:g} s long."
    elif request.seconds > MAX_SECONDS:
        problems["seconds"] = (
            f"An animation follows at most {MAX_SECONDS:g} s of video, and you chose {request.seconds:g} s. "
            f"Choose a start and a length of up to {MAX_SECONDS:g} s: nothing was charged."
        )
    elif request.seconds < MIN_SECONDS:
        problems["seconds"] = f"Choose at least {MIN_SECONDS:g} s of the video to follow."
    elif request.start + request.seconds > duration + 0.05:
        problems["seconds"] = (
            f"The video ends at {duration:g} s: from {request.start:g} s it can follow at most "
            f"{max(0.0, duration - request.start):g} s."
        )
    if request.outfit and not attributes.words("default_outfit", request.outfit):
        problems["outfit"] = "Choose one of the outfits shown."
    if len(request.outfit_words) > 300:
        problems["outfit_words"] = "Keep the outfit under 300 characters."
    if (request.nsfw or video.nsfw) and request.character is not None and not nsfw_permitted(request.character):
        problems["nsfw"] = (
            ("This video is marked as adult content, and adult" if video.nsfw else "Adult")
            + f" animations need the character to allow it, and {request.character.name} doesn't: it needs the "
            "organisation's setting, the character's permission and a consent record that covers adult content."
        )
    return problems


def pipeline_start(
    *, org: Organization, user: User | None, video: Asset, request: AnimateRequest, key: str = ""
) -> AnimatePipeline:
    """Start an animation of ``video``: the pipeline and its free first step (cut and frame 1), which
    runs at once in a worker. Raises ``AnimateRefused`` (per field) or ``MinorsRefused``; nothing is
    charged until the face swap, which starts by itself once the frame has one face."""
    if key and (
        existing := AnimateStep.objects.filter(org=org, idempotency_key=key).select_related("pipeline").first()
    ):
        return existing.pipeline
    if video.org_id != org.pk:
        raise DomainError("That video isn't in this organisation's library.")
    if problem := video_problem(video):
        raise AnimateRefused({"source": problem})
    request = settled(video, request)
    if problems := animate_problems(video, request):
        raise AnimateRefused(problems)
    character = request.character
    assert character is not None  # animate_problems refuses a request without one
    if character.org_id != org.pk:
        raise DomainError("That character isn't in this organisation.")
    # The refinement's prompt describes the character: refuse here, before anything is charged.
    character_words_screen(character=character, user=user, where="animate", nsfw=request.nsfw or video.nsfw)
    if request.outfit_words:
        text_screen(
            request.outfit_words,
            org=org,
            user=user,
            where="animate",
            field="outfit_words",
            nsfw=request.nsfw or video.nsfw,
            subject="Outfits",
        )
    clothes = bool(request.outfit or request.outfit_words)
    costs = estimate(seconds=request.seconds, clothes=clothes)
    if (available := credits_available(org)) < costs["total"]:
        raise AnimateRefused(
            {
                "credits": f"This animation needs {costs['total']:,} credits in all (face swap {costs[Kind.SWAP]}, "
                f"refinement {costs[Kind.REFINE]}, animation {costs[Kind.ANIMATE]:,}) and you have {available:,} "
                "available. Choose a shorter part of the video, or add credits."
            }
        )
    with transaction.atomic():
        pipeline = AnimatePipeline.objects.create(
            org=org,
            source=video,
            source_title=video.title,
            character=character,
            character_name=character.name,
            mode=request.mode,
            resolution=request.resolution,
            start=request.start,
            seconds=request.seconds,
            outfit=request.outfit,
            outfit_words=request.outfit_words,
            nsfw=request.nsfw or video.nsfw,
            auto_animate=request.auto_animate,
            created_by=user,
        )
        placement.started(pipeline)  # its steps' results land in the project chosen, if any
        steps.step_create(pipeline, Kind.PREPARE, user, key=key)
    return pipeline


def step_start(*, pipeline: AnimatePipeline, kind: str, user: User | None, key: str = "") -> AnimateStep:
    """Run ``kind`` now: resume a step that failed or was cancelled, redo one with another seed, or
    animate. Raises ``DomainError`` (``AnimateRefused`` for credits) with what to do instead."""
    if key and (existing := engine.job_by_key(AnimateStep, pipeline.org, key)):
        return existing
    if kind not in Kind.values:
        raise DomainError("There is no such step.")
    with transaction.atomic():
        pipeline = (
            AnimatePipeline.objects.select_for_update(of=("self",))
            .select_related("org", "character")
            .get(pk=pipeline.pk)
        )
        if pipeline.steps.filter(status__in=ACTIVE).exists():
            raise DomainError("A step is running. Wait for it to finish, or cancel it first.")
        if problem := steps.step_problem(pipeline, kind):
            raise DomainError(problem)
        return steps.step_create(pipeline, kind, user, key=key)


@transaction.atomic
def pipeline_cancel(*, pipeline: AnimatePipeline, user: User | None) -> AnimateStep:
    """Stop the running step and return its credits; the steps before it stay as they are."""
    AnimatePipeline.objects.select_for_update(of=("self",)).get(pk=pipeline.pk)
    step = pipeline.steps.filter(status__in=ACTIVE).select_related("call", "hold").first()
    if step is None:
        raise DomainError("Nothing is running in this animation.")
    reason = engine.cancelled_by(user)
    locked = engine.job_lock(AnimateStep, step.pk, "call")
    engine.job_finish(locked, JobStatus.CANCELLED, reason)
    if locked.call:
        gateway.call_cancel(locked.call, reason=reason)
    return locked


def pipelines_cancel_for_character(character: Character, reason: str) -> None:
    """Stop the running steps of a character's animations (it is being deleted; the caller holds its lock)."""
    for step in (
        AnimateStep.objects.select_for_update(of=("self",))
        .select_related("hold", "call")
        .filter(pipeline__character=character, status__in=ACTIVE)
    ):
        engine.job_finish(step, JobStatus.CANCELLED, reason)
        if step.call:
            gateway.call_cancel(step.call, reason=reason)


# --- The first step, done here -------------------------------------------------------------------------


def prepare_run(step_id: int) -> None:
    """Cut the clip and take frame 1 (the worker's ``video.tasks.animate_prepare``); stop if frame 1
    hasn't exactly one face. Idempotent: a redelivered task finds the step settled, or does it again."""
    step = AnimateStep.objects.select_related("pipeline", "pipeline__source", "org", "created_by").get(pk=step_id)
    if step.status not in ACTIVE:
        return
    transition(AnimateStep, step_id, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now())
    pipeline = step.pipeline
    video = pipeline.source
    if video is None:
        engine.job_finish_if_active(
            AnimateStep, step_id, JobStatus.FAILED, "The reference video was deleted before it could be prepared."
        )
        return
    made: list[Asset] = []
    try:
        with frames.prepared(video.original_key, start=pipeline.start, seconds=pipeline.seconds) as prepared:
            if problem := frames.face_problem(prepared.faces, pipeline.start):
                engine.job_finish_if_active(AnimateStep, step_id, JobStatus.FAILED, problem)
                return
            made = _store_prepared(step, video, prepared)
    except (DomainError, media.MediaError) as exc:
        engine.job_finish_if_active(AnimateStep, step_id, JobStatus.FAILED, str(exc.message))
        return
    with transaction.atomic():
        AnimatePipeline.objects.select_for_update(of=("self",)).get(pk=pipeline.pk)
        locked = engine.job_lock(AnimateStep, step_id)
        if locked.status not in ACTIVE:  # cancelled meanwhile: keep nothing
            for asset in made:
                asset_delete(asset=asset)
            return
        clip, frame = made
        engine.job_finish(locked, JobStatus.SUCCEEDED, result=clip, frame=frame)
        steps.continue_after(pipeline, Kind.PREPARE)


def _store_prepared(step: AnimateStep, video: Asset, prepared: frames.Prepared) -> list[Asset]:
    pipeline = step.pipeline
    span = f"{pipeline.start:g}–{pipeline.start + pipeline.seconds:g} s"
    recipe = {
        "operation": "animate_prepare",
        "source": str(video.public_id),
        "start": pipeline.start,
        "seconds": pipeline.seconds,
        "pipeline": str(pipeline.public_id),
        "step": str(step.public_id),
    }
    stem = Path(video.title or "video").stem
    clip = asset_create_from_file(
        path=prepared.clip,
        filename=f"{stem} clip.mp4",
        title=f"{video.title} · clip {span}",
        parents=[video],
        metadata={"recipe": {**recipe, "made": "clip"}},
        org=step.org,
        source=Asset.Source.EDITED,
        created_by=step.created_by,
        nsfw=video.nsfw,
    )
    frame = asset_create_from_file(
        path=prepared.frame,
        filename=f"{stem} first frame.jpg",
        title=f"{video.title} · first frame",
        parents=[clip],
        metadata={"recipe": {**recipe, "made": "first frame"}},
        org=step.org,
        source=Asset.Source.EDITED,
        created_by=step.created_by,
        nsfw=video.nsfw,
    )
    return [clip, frame]


PREPARE_RESEND_AFTER = timedelta(minutes=3)
PREPARE_GIVE_UP_AFTER = timedelta(minutes=15)
PREPARE_TOOK_TOO_LONG = (
    "Preparing the first frame took too long, so it was stopped. Nothing was charged: resume it to try again."
)


def prepare_sweep(*, now=None) -> int:
    """First steps that stalled (they run here, with no provider call for the gateway's sweeper to
    look after): queued for a few minutes means the task message was lost after commit, so it is
    sent again; still not settled long after means it hangs, so it fails and can be resumed."""
    from video import tasks

    now = now or timezone.now()
    stalled = AnimateStep.objects.filter(kind=Kind.PREPARE, status__in=ACTIVE)
    moved = 0
    for step_id in stalled.filter(created_at__lt=now - PREPARE_GIVE_UP_AFTER).values_list("pk", flat=True):
        if engine.job_finish_if_active(AnimateStep, step_id, JobStatus.FAILED, PREPARE_TOOK_TOO_LONG):
            moved += 1
    waiting = stalled.filter(status=JobStatus.QUEUED, updated_at__lt=now - PREPARE_RESEND_AFTER)
    for step_id in waiting.values_list("pk", flat=True):
        AnimateStep.objects.filter(pk=step_id, status=JobStatus.QUEUED).update(updated_at=now)
        tasks.animate_prepare.delay(step_id)
        moved += 1
    return moved
