"""The steps of an animation (see ``video.animate``): what each costs and needs, what it sends to
the provider, how it settles, and which step runs next by itself.

What each step is made from, and makes (each output a library item, a child of its input):

    prepare  the reference video          → the clip it follows (result) and its first frame (frame)
    swap     the first frame + the face   → the frame with the character's face
    refine   the swapped frame            → the frame made whole (image-to-image with the character's
                                            face model when trained), or in a new outfit
                                            (segmentation, then inpainting)
    animate  the refined frame + the clip → the animation (Wan 2.2 Animate, move or replace)
"""

from __future__ import annotations

import math
import random
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.models import User
from analytics.services import track
from assets import media, storage
from assets.models import Asset
from billing.prices import operation_credits
from characters import attributes
from characters.services import nsfw_permitted
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import edits, masks, prompts
from jobs import engine
from providers import gateway, outputs, registry
from providers.models import ProviderCall
from video.models import AnimatePipeline, AnimateStep

Kind = AnimateStep.Kind
PRICES: dict[str, str] = {Kind.SWAP: "animate_swap", Kind.REFINE: "animate_refine", Kind.ANIMATE: "animate"}
CLOTHES_PRICE = "clothing_change"
PREVIOUS: dict[str, str] = {Kind.SWAP: Kind.PREPARE, Kind.REFINE: Kind.SWAP, Kind.ANIMATE: Kind.REFINE}
NEXT_BY_ITSELF: dict[str, str] = {
    Kind.PREPARE: Kind.SWAP,
    Kind.SWAP: Kind.REFINE,
}  # the animation waits to be asked for
STAGE_SEGMENT, STAGE_INPAINT, STAGE_REFINE = "segment", "inpaint", "refine"
WORDS: dict[str, str] = {
    Kind.PREPARE: "Cutting the clip and finding its first frame",
    Kind.SWAP: "Swapping in the face",
    Kind.REFINE: "Refining the frame",
    Kind.ANIMATE: "Animating",
}
MADE: dict[str, str] = {Kind.PREPARE: "first frame", Kind.SWAP: "face-swapped frame", Kind.REFINE: "refined frame"}
# Light enough to keep the swapped frame's pose, framing and light; enough to blend the pasted face in.
REFINE_STRENGTH = 0.35
REFINE_STEPS = 28
GENDERS = {"female": "female", "male": "male"}  # anything else: "non-binary"


def step_credits(kind: str, *, seconds: float = 0, clothes: bool = False) -> int:
    if kind == Kind.PREPARE:
        return 0
    if kind == Kind.REFINE and clothes:
        return operation_credits(CLOTHES_PRICE)
    if kind == Kind.ANIMATE:
        return operation_credits(PRICES[kind], max(1, math.ceil(seconds - 0.05)))
    return operation_credits(PRICES[kind])


def latest(pipeline: AnimatePipeline, kind: str, *, succeeded: bool = False) -> AnimateStep | None:
    steps = pipeline.steps.filter(kind=kind)
    if succeeded:
        steps = steps.filter(status=JobStatus.SUCCEEDED)
    return steps.select_related("result", "frame", "source").order_by("-created_at", "-id").first()


def step_input(pipeline: AnimatePipeline, kind: str) -> Asset | None:
    """The library item ``kind`` is made from: None when the step before hasn't made it (or it was deleted)."""
    if kind == Kind.PREPARE:
        return pipeline.source
    before = latest(pipeline, PREVIOUS[kind], succeeded=True)
    if before is None:
        return None
    return before.frame if kind == Kind.SWAP else before.result


def step_problem(pipeline: AnimatePipeline, kind: str) -> str:
    """Why ``kind`` can't run now ('' if it can): what to do instead, in plain words."""
    if kind == Kind.PREPARE:
        if latest(pipeline, Kind.PREPARE, succeeded=True):
            return "The clip and its first frame are ready. To change the part of the video, start a new animation."
        return "" if pipeline.source else "The reference video was deleted. Start a new animation from another video."
    character = pipeline.character
    if character is None:
        return "The character was deleted, so this animation can't go on."
    if character.base_image is None:
        return f"{character.name} has no face to swap in any more."
    if pipeline.nsfw and not nsfw_permitted(character):
        return f"{character.name} no longer allows adult content, so this adult animation can't go on."
    previous = PREVIOUS[kind]
    before = latest(pipeline, previous, succeeded=True)
    if before is None:
        return f"Finish the {Kind(previous).label.lower()} first."
    if step_input(pipeline, kind) is None:
        return f"The {MADE[previous]} was deleted from the library. Redo the {Kind(previous).label.lower()} to make it again."
    if kind == Kind.ANIMATE:
        swap = latest(pipeline, Kind.SWAP, succeeded=True)
        if swap is None or before.source_id != swap.result_id:
            return "The face swap was redone since the refinement: refine the new frame first."
        prepare = latest(pipeline, Kind.PREPARE, succeeded=True)
        if prepare is None or prepare.result is None:
            return "The clip this animation follows was deleted. Start a new animation from the video."
    return ""


def step_create(pipeline: AnimatePipeline, kind: str, user: User | None, *, key: str = "") -> AnimateStep:
    """A new step of ``kind`` with its hold and its call (or, to prepare, its task), in the caller's
    transaction. Raises ``DomainError`` (field ``credits`` when the credits are short)."""
    from video import tasks

    source = step_input(pipeline, kind)
    credits = step_credits(kind, seconds=pipeline.seconds, clothes=pipeline.changes_clothes)
    stage = (STAGE_SEGMENT if pipeline.changes_clothes else STAGE_REFINE) if kind == Kind.REFINE else ""
    label = Kind(kind).label

    def build(step: AnimateStep) -> None:
        if kind == Kind.PREPARE:
            transaction.on_commit(lambda: tasks.animate_prepare.delay(step.pk), robust=True)
        else:
            step.call = _call_create(step, pipeline, source)

    step = engine.job_start(
        AnimateStep,
        org=pipeline.org,
        user=user,
        key=key,
        credits=credits,
        operation=(CLOTHES_PRICE if stage == STAGE_SEGMENT else PRICES.get(kind, "animate_prepare")),
        hold_description=f"{label} for the animation of {pipeline.character_name} from “{pipeline.source_title}”",
        refusal=lambda exc: DomainError(exc.refusal(f"The {label.lower()}"), field="credits"),
        build=build,
        pipeline=pipeline,
        kind=kind,
        params={"seed": random.randrange(2**31), "stage": stage},
        source=source,
    )
    AnimatePipeline.objects.filter(pk=pipeline.pk).exclude(note="").update(note="")
    track("animate_step_started", org=pipeline.org, user=user, pipeline_id=str(pipeline.public_id), step=kind)
    return step


def continue_after(pipeline: AnimatePipeline, kind: str) -> None:
    """With the pipeline locked, after ``kind`` succeeded: start the next preparation step by itself,
    or note why it couldn't start (credits ran short), for the page to say."""
    pipeline.refresh_from_db()
    following = NEXT_BY_ITSELF.get(kind) or (Kind.ANIMATE if kind == Kind.REFINE and pipeline.auto_animate else None)
    if following is None:
        return
    problem = step_problem(pipeline, following)
    if not problem:
        try:
            step_create(pipeline, following, pipeline.created_by)
            return
        except DomainError as exc:
            problem = exc.message
    AnimatePipeline.objects.filter(pk=pipeline.pk).update(note=problem[:500])


# --- Provider calls ------------------------------------------------------------------------------------


def _marker(asset: Asset | None, variant: str = "original") -> dict:
    assert asset is not None  # step_problem refused a step whose input is gone
    return {"$asset": str(asset.public_id), "variant": variant}


def _call_create(step: AnimateStep, pipeline: AnimatePipeline, source: Asset | None) -> ProviderCall:
    character = pipeline.character
    assert character is not None  # step_problem refused a step without one
    safety_checker = not pipeline.nsfw
    seed = step.params["seed"]
    if step.kind == Kind.SWAP:
        operation, payload = (
            "face_swap",
            {
                "face_image_0": {"url": _marker(character.base_image, "preview")},
                "gender_0": GENDERS.get(character.gender, "non-binary"),
                "target_image": {"url": _marker(source)},
                "workflow_type": "target_hair",  # keep the video's hair, so it matches the motion
                "upscale": False,  # the frame stays under a megapixel (the refinement is priced by it)
            },
        )
    elif step.kind == Kind.ANIMATE:
        prepare = latest(pipeline, Kind.PREPARE, succeeded=True)
        operation, payload = (
            f"animate_{pipeline.mode}",
            {
                "video_url": _marker(prepare.result if prepare else None),
                "image_url": _marker(source),
                "resolution": pipeline.resolution,
                "seed": seed,
                "num_inference_steps": 20,
                "video_quality": "high",
                "enable_safety_checker": safety_checker,
                "enable_output_safety_checker": safety_checker,
            },
        )
    elif step.params["stage"] == STAGE_SEGMENT:
        operation, payload = (
            "segment",
            {
                "image_url": _marker(source),
                "prompt": edits.SEGMENT_PROMPT,
                "negative_prompt": edits.SEGMENT_NEGATIVE,
                "mask_only": True,
                "fill_holes": True,
                "expand_mask": edits.SEGMENT_EXPAND_PX,
            },
        )
    else:
        operation, payload = _refine_call(step, pipeline, source, safety_checker)
    return gateway.call_create(org=step.org, operation=operation, input=payload, handler=CALL_HANDLER, subject=step)


def _refine_call(step: AnimateStep, pipeline: AnimatePipeline, source: Asset | None, safety_checker: bool) -> tuple:
    """Image-to-image over the swapped frame, or (a clothing change) inpainting inside its mask;
    with the character's face model and trigger word when it is trained."""
    character = pipeline.character
    assert character is not None
    assert source is not None
    assert source.width
    assert source.height
    hd = character.mode == "hd"
    if step.params["stage"] == STAGE_INPAINT:
        words = pipeline.outfit_words or attributes.words("default_outfit", pipeline.outfit)
        prompt = f"wearing {words.removeprefix('wearing ')}"
        operation = "inpaint"
        payload = {"mask_url": {"$key": step.params["mask_key"]}, "strength": edits.CLOTHES_STRENGTH}
    else:
        prompt = f"{attributes.describe(character)}, the same scene, pose and light, natural skin, sharp focus"
        operation = "image_lora_i2i"
        payload = {"strength": REFINE_STRENGTH, "image_size": {"width": source.width, "height": source.height}}
    payload.update(
        {
            "image_url": _marker(source),
            "prompt": prompts.with_trigger(prompt, character) if hd else prompt,
            "num_inference_steps": REFINE_STEPS,
            "guidance_scale": 3.5,
            "num_images": 1,
            "seed": step.params["seed"],
            "enable_safety_checker": safety_checker,
            "output_format": "jpeg",
        }
    )
    if hd:
        payload["loras"] = [{"path": {"$key": character.lora_key}, "scale": 1}]
    return operation, payload


# --- Settling (called by the gateway) --------------------------------------------------------------


def _locked(step_id: int) -> tuple[AnimatePipeline, AnimateStep]:
    """The step's pipeline, then the step, locked in that order."""
    pipeline_id = AnimateStep.objects.values_list("pipeline_id", flat=True).get(pk=step_id)
    pipeline = (
        AnimatePipeline.objects.select_for_update(of=("self",))
        .select_related("org", "character", "character__base_image", "created_by")
        .get(pk=pipeline_id)
    )
    return pipeline, engine.job_lock(AnimateStep, step_id, "org", "source", "created_by")


def _advance(step_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The step's current call succeeded: store the clothes' mask and paint them, or keep the output
    and go on to the next preparation step."""
    with transaction.atomic():
        pipeline, step = _locked(step_id)
        if step.status not in ACTIVE or step.call_id != call.pk:
            return
        delivered = None
        guard = engine.OutputGuard(
            lambda message, _type: engine.job_finish(step, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            if step.source is None:
                raise engine.Unusable(
                    f"The {MADE.get(PREVIOUS[step.kind], 'input')} was deleted while this step ran.", "source_deleted"
                )
            if step.kind == Kind.REFINE and step.params.get("stage") == STAGE_SEGMENT:
                _segmented(step, pipeline, call)
            else:
                delivered = _deliver(step, pipeline, call)
        if guard.failed or delivered is None:
            return
        engine.job_finish(step, JobStatus.SUCCEEDED, result=delivered)
        if step.kind in (Kind.SWAP, Kind.REFINE):
            from video import tasks

            transaction.on_commit(lambda: tasks.step_score.delay(step.pk), robust=True)
        track(
            "animate_step_completed",
            org=step.org,
            user=step.created_by,
            pipeline_id=str(pipeline.public_id),
            step=step.kind,
        )
        continue_after(pipeline, step.kind)


def _segmented(step: AnimateStep, pipeline: AnimatePipeline, call: ProviderCall) -> None:
    """Keep the clothes' mask, then paint the new outfit into it (the step's second call)."""
    source = step.source
    assert source is not None
    assert source.width
    assert source.height
    with outputs.output_download(call, outputs.output_image_url(call.output)) as path:
        sniffed = media.sniff(path)
        if sniffed.mime not in masks.MASK_FORMATS:
            raise engine.Unusable("The clothes' mask wasn't an image we can read.", "bad_output")
        try:
            png, covered = masks.mask_png(path, sniffed.mime, width=source.width, height=source.height, resize=True)
        except DomainError as exc:
            raise engine.Unusable(exc.message, "bad_output") from None
    if not covered:
        raise engine.Unusable("No clothes were found in the frame, so there was nothing to change.", "nothing_found")
    key = storage.edit_mask_key(step.org, step)
    storage.delete(key)  # a handler run again writes the same mask
    key = storage.storage().save(key, ContentFile(png))
    step.params = {**step.params, "stage": STAGE_INPAINT, "mask_key": key, "mask_coverage_pct": covered}
    step.call = _call_create(step, pipeline, source)
    step.save(update_fields=["params", "call", "updated_at"])


def _deliver(step: AnimateStep, pipeline: AnimatePipeline, call: ProviderCall) -> Asset:
    character = pipeline.character
    name = pipeline.character_name
    stem = PurePath(name or "character").stem
    parents: list[Asset | None] = [step.source]
    if step.kind == Kind.SWAP:
        title, filename = f"{name} · face swap", f"{stem} face swap.jpg"
        parents.append(character.base_image if character else None)
    elif step.kind == Kind.REFINE:
        suffix = "new outfit" if pipeline.changes_clothes else "refined"
        title, filename = f"{name} · {suffix}", f"{stem} {suffix}.jpg"
    else:
        title, filename = f"{name} · animated ({pipeline.mode})", f"{stem} animated.mp4"
        prepare = latest(pipeline, Kind.PREPARE, succeeded=True)
        parents.append(prepare.result if prepare else None)
    return engine.output_to_library(
        call,
        org=step.org,
        title=title,
        filename=filename,
        source=Asset.Source.GENERATED,
        created_by=step.created_by,
        recipe=step_recipe(step, pipeline, call),
        parents=parents,
        nsfw=pipeline.nsfw,
        character=character,
        credits=step.credits,
        cost_of=[step],
        video=step.kind == Kind.ANIMATE,
    )


def step_recipe(step: AnimateStep, pipeline: AnimatePipeline, call: ProviderCall) -> dict:
    demo_words: dict[str, str] = {
        Kind.SWAP: "The character's face pasted onto the frame (demo provider, not AI)",
        Kind.REFINE: "The frame, labelled (demo provider, not AI)",
        Kind.ANIMATE: "The reference video's motion with the frame as an inset (demo provider, not AI)",
    }
    character = pipeline.character
    return {
        "operation": f"animate_{step.kind}",
        "pipeline": str(pipeline.public_id),
        "step": str(step.public_id),
        "mode": pipeline.mode,
        "resolution": pipeline.resolution,
        "start": pipeline.start,
        "seconds": pipeline.seconds,
        "outfit": pipeline.outfit_words or attributes.label("default_outfit", pipeline.outfit),
        "provider": call.provider,
        "model": demo_words[step.kind] if call.provider == "demo" else call.endpoint_id,
        "model_label": registry.ENDPOINTS[call.operation].label,
        "endpoint": call.endpoint_id,
        "character": str(character.public_id) if character else None,
        "character_name": pipeline.character_name,
        "safety_checker": not pipeline.nsfw,
        "nsfw": pipeline.nsfw,
        "source": str(step.source.public_id) if step.source else None,
        "cost": step.credits,
        "seed": (call.output or {}).get("seed", step.params.get("seed")),
    }


def _unsuccessful(step_id: int, call: ProviderCall, status: str, error: str) -> None:
    """The step's current call failed or was cancelled: so does the step, and its credits return;
    the steps before it stay as they are."""
    with transaction.atomic():
        pipeline, step = _locked(step_id)
        if step.status in ACTIVE and step.call_id == call.pk:
            engine.job_finish(step, status, error)
            track(
                "animate_step_failed",
                org=step.org,
                user=step.created_by,
                pipeline_id=str(pipeline.public_id),
                step=step.kind,
            )


CALL_HANDLER = engine.call_job_handler(
    "video.animate_step",
    AnimateStep,
    succeeded=_advance,
    unsuccessful=_unsuccessful,
    failed="The provider failed this step.",
)
