"""Image → video (PRODUCT.md §5): any library image becomes a 6, 8 or 10 second clip.

One ``VideoJob`` with one credit hold (10 credits a second at the standard resolutions, see
``routing``), started like every job on the engine: the job, the hold and its first provider call in
one transaction, the call submitted after commit. The motion is the person's own words, or, when
they ask (and always for adult content: the NSFW routing), written first by the prompt generator
looking at the image, in a call of its own:

    write (chat, vision) ──▶ render (LTX-2 / Wan 2.2) ──▶ the clip in the library, a child of the image

``params["step"]`` names the call the job waits on, and ``job.call`` is replaced by the render call
once the motion is written. Prompts typed or written are screened for minors. Adult content needs
the organisation, its owner, the character and its consent to allow it (``characters.services.
nsfw_permitted``); SFW clips keep the providers' safety checkers on.

``video_on_call`` (registered as ``video.job``) settles the job; cancel and retry are here too.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from pathlib import PurePath

from django.db import transaction

from accounts.models import User
from analytics.services import track
from assets.models import Asset
from billing.services import InsufficientCredits
from characters.models import Character
from characters.services import nsfw_permitted
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation.models import GenerationJob
from jobs import engine
from orgs.models import Organization
from providers import gateway, registry
from providers.models import ProviderCall
from safety.screen import MinorsRefused
from safety.services import text_screen
from video import motion, routing
from video.models import VideoJob

log = logging.getLogger(__name__)

STEP_WRITE, STEP_RENDER = "write", "render"
STEP_WORDS = {STEP_WRITE: "Writing the motion", STEP_RENDER: "Rendering the video"}
NO_MOTION = "Describe the motion, for example “she turns to the camera and smiles, hair moving in the breeze”, or let the prompt generator write it."


class VideoRefused(DomainError):
    """Choices that can't be used, each with its reason: ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)


@dataclass(frozen=True)
class VideoRequest:
    """What the Make video form asks for. ``shape`` '' means the image's own; ``write``: the prompt
    generator writes the motion (``prompt`` is then the direction it's given, and may be empty)."""

    prompt: str = ""
    seconds: int = 6
    shape: str = ""
    resolution: str = ""
    speed: str = "pro"
    audio: bool = True
    nsfw: bool = False
    write: bool = False

    def settled(self, asset: Asset) -> VideoRequest:
        """The request with its defaults filled in for ``asset``; adult content is always written."""
        shape = self.shape or routing.shape_for(asset.width or 1, asset.height or 1)
        return replace(
            self,
            prompt=" ".join((self.prompt or "").split()),
            shape=shape,
            resolution=self.resolution or (routing.default_resolution(shape) if shape in routing.SHAPES else ""),
            write=self.write or self.nsfw,
            audio=self.audio and shape in routing.SHAPES and routing.uses_ltx(shape),
        )


def source_problem(asset: Asset) -> str:
    """Why ``asset`` can't be animated ('' if it can)."""
    if asset.kind != Asset.Kind.IMAGE:
        return "Videos are made from images, and this is a " + ("video." if asset.kind == Asset.Kind.VIDEO else "file.")
    if not asset.width or not asset.height:
        return "This image's size isn't known. Upload it again."
    return ""


def adult_problem(asset: Asset, *, nsfw: bool) -> str:
    """Why an adult clip of ``asset`` can't be made ('' if it can, or if it isn't adult)."""
    if not (nsfw or asset.nsfw):
        return ""
    character = asset.character
    what = "Adult videos" if nsfw else "This image is marked as adult content, and adult videos"
    if character is None:
        return f"{what} are made of a character that allows adult content, and this image shows none."
    if not nsfw_permitted(character):
        return (
            f"{what} need the character to allow it, and {character.name} doesn't: it needs the organisation's "
            "setting (an owner who confirmed being 18 or older), the character's permission and a consent "
            "record that covers adult content."
        )
    return ""


def video_problems(asset: Asset, request: VideoRequest) -> dict[str, str]:
    """What's wrong with a settled request, by field, in plain words; {} if nothing."""
    problems: dict[str, str] = {}
    if request.seconds not in routing.DURATIONS:
        problems["seconds"] = "Choose 6, 8 or 10 seconds."
    if request.shape not in routing.SHAPES:
        problems["shape"] = "Choose landscape 16:9, portrait 9:16 or square 1:1."
    elif problem := routing.shape_problem(asset.width or 1, asset.height or 1, request.shape):
        problems["shape"] = problem
    elif routing.resolution(request.shape, request.resolution) is None:
        choices = ", ".join(r.key for r in routing.resolutions(request.shape))
        problems["resolution"] = f"For a {routing.SHAPES[request.shape].label.lower()} clip choose {choices}."
    if request.speed not in routing.SPEEDS:
        problems["speed"] = "Choose fast or pro."
    if not request.write and not request.prompt:
        problems["prompt"] = NO_MOTION
    elif len(request.prompt) > motion.MAX_MOTION:
        problems["prompt"] = f"Keep the motion under {motion.MAX_MOTION:,} characters (it has {len(request.prompt):,})."
    if problem := adult_problem(asset, nsfw=request.nsfw):
        problems["nsfw"] = problem
    return problems


def video_price(asset: Asset, request: VideoRequest) -> int:
    """Credits for a settled, valid request."""
    return routing.credits(request.shape, request.resolution, request.seconds, write=request.write)


# --- Starting ---------------------------------------------------------------------------------------


def video_start(
    *,
    org: Organization,
    user: User | None,
    asset: Asset,
    request: VideoRequest,
    key: str = "",
    origin: str = VideoJob.Origin.SINGLE,
    retry_of: VideoJob | None = None,
    pack: GenerationJob | None = None,
) -> VideoJob:
    """Queue a clip of ``asset``. Raises ``VideoRefused`` (per field), ``MinorsRefused`` or
    ``InsufficientCredits`` (as ``VideoRefused`` on ``credits``). ``key`` makes a double click start
    one job: the second request gets the first's job back."""
    if existing := engine.job_by_key(VideoJob, org, key):
        return existing
    if asset.org_id != org.pk:
        raise DomainError("That image isn't in this organisation's library.")
    if problem := source_problem(asset):
        raise VideoRefused({"source": problem})
    request = request.settled(asset)
    if problems := video_problems(asset, request):
        raise VideoRefused(problems)
    adult = request.nsfw or asset.nsfw
    if request.prompt:
        text_screen(request.prompt, org=org, user=user, where="video", field="prompt", nsfw=adult, subject="Motion")
    params = {
        "prompt": request.prompt,
        "seconds": request.seconds,
        "shape": request.shape,
        "resolution": request.resolution,
        "speed": request.speed,
        "audio": request.audio,
        "nsfw": adult,
        "write": request.write,
        "safety_checker": not adult,
        "seed": random.randrange(2**31),
        "step": STEP_WRITE if request.write else STEP_RENDER,
    }
    credits = video_price(asset, request)
    written = "motion written by the prompt generator" if request.write else "your motion"
    try:
        job = engine.job_start(
            VideoJob,
            org=org,
            user=user,
            key=key,
            credits=credits,
            operation=routing.resolution(request.shape, request.resolution).price_operation,  # type: ignore[union-attr]
            hold_description=f"Video of “{asset.title}” ({request.seconds} s, {request.resolution}, {written})",
            build=lambda job: setattr(job, "call", _call_create(job, asset)),
            kind=VideoJob.Kind.IMAGE_TO_VIDEO,
            origin=origin,
            params=params,
            source=asset,
            source_title=asset.title,
            character=asset.character,
            retry_of=retry_of,
            pack=pack,
        )
    except InsufficientCredits as exc:
        raise VideoRefused({"credits": exc.refusal(f"A {request.seconds}-second clip")}) from None
    track("video_started", org=org, user=user, job_id=str(job.public_id), seconds=request.seconds, nsfw=adult)
    return job


def _call_create(job: VideoJob, asset: Asset) -> ProviderCall:
    params = job.params
    if params["step"] == STEP_WRITE:
        request = motion.motion_request(
            image_marker={"$asset": str(asset.public_id), "variant": "preview"},
            seconds=params["seconds"],
            direction=params["prompt"],
            nsfw=params["nsfw"],
        )
        return gateway.call_create(org=job.org, operation="chat", input=request, handler=CALL_HANDLER, subject=job)
    payload = {
        "image_url": {"$asset": str(asset.public_id), "variant": "original"},
        "prompt": params.get("written_prompt") or params["prompt"],
        **routing.provider_input(
            shape=params["shape"],
            speed=params["speed"],
            resolution_key=params["resolution"],
            seconds=params["seconds"],
            audio=params["audio"],
            safety_checker=params["safety_checker"],
            seed=params["seed"],
        ),
    }
    operation = routing.operation(params["shape"], params["speed"])
    return gateway.call_create(org=job.org, operation=operation, input=payload, handler=CALL_HANDLER, subject=job)


# --- Settling (called by the gateway) ----------------------------------------------------------------


def _locked(job_id: int) -> VideoJob:
    return engine.job_lock(VideoJob, job_id, "org", "source", "character", "created_by")


def _advance(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The job's current call succeeded: keep the written motion and render, or deliver the clip.
    The job row stays locked meanwhile, so a cancel waits and then finds it done."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status not in ACTIVE or job.call_id != call.pk:
            return  # settled already, or a repeated task for a call the render replaced
        with engine.OutputGuard(
            lambda message, _type: engine.job_finish(job, JobStatus.FAILED, message), last_attempt=last_attempt
        ):
            source = job.source
            if source is None:
                raise engine.Unusable("The image was deleted while its video was being made.", "source_deleted")
            if job.params["step"] == STEP_WRITE:
                _written(job, source, call)
            else:
                _deliver(job, source, call)


def _written(job: VideoJob, source: Asset, call: ProviderCall) -> None:
    written = motion.parse_motion(str((call.output or {}).get("text") or ""))
    try:
        text_screen(written, org=job.org, user=job.created_by, where="video_writer", nsfw=bool(job.params.get("nsfw")))
    except MinorsRefused as exc:
        raise engine.Unusable(f"The written motion was refused. {exc.message}", "prompt_refused") from None
    job.params = {**job.params, "written_prompt": written, "step": STEP_RENDER}
    job.call = _call_create(job, source)
    job.save(update_fields=["params", "call", "updated_at"])


def _deliver(job: VideoJob, source: Asset, call: ProviderCall) -> None:
    seconds = job.params["seconds"]
    asset = engine.output_to_library(
        call,
        org=job.org,
        filename=f"{PurePath(job.source_title or 'image').stem} video.mp4",
        title=f"{job.source_title} · video {seconds} s",
        source=Asset.Source.GENERATED,
        created_by=job.created_by,
        parents=[source],
        recipe=video_recipe(job, call),
        nsfw=job.params.get("nsfw", False),
        character=job.character,
        credits=job.credits,
        cost_of=job.attempts(),
        video=True,
    )
    engine.job_finish(job, JobStatus.SUCCEEDED, result=asset)
    track("video_completed", org=job.org, user=job.created_by, job_id=str(job.public_id), seconds=seconds)


def video_recipe(job: VideoJob, call: ProviderCall) -> dict:
    """What the library keeps about a clip: what was asked, of what, by which model, at what cost."""
    params = job.params
    character = job.character
    demo = call.provider == "demo"
    return {
        "operation": "image_to_video",
        "prompt": params.get("written_prompt") or params["prompt"],
        "direction": params["prompt"] if params.get("write") else "",
        "motion_written_by": "prompt generator" if params.get("write") else "you",
        "seconds": params["seconds"],
        "shape": params["shape"],
        "resolution": params["resolution"],
        "speed": params["speed"],
        "audio": params["audio"],
        "provider": call.provider,
        "model": "Camera move over the still, labelled (demo provider, not AI)" if demo else call.endpoint_id,
        "model_label": registry.ENDPOINTS[call.operation].label,
        "endpoint": call.endpoint_id,
        "safety_checker": params["safety_checker"],
        "nsfw": params.get("nsfw", False),
        "character": str(character.public_id) if character else None,
        "character_name": character.name if character else "",
        "source": str(job.source.public_id) if job.source else None,
        "cost": job.credits,
        "job": str(job.public_id),
        "seed": (call.output or {}).get("seed", params.get("seed")),
    }


def _settle_unsuccessful(job_id: int, call: ProviderCall, status: str, error: str) -> None:
    """The job's current call failed or was cancelled: so does the job, and its credits return."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status in ACTIVE and job.call_id == call.pk:
            engine.job_finish(job, status, error)
            track("video_failed", org=job.org, user=job.created_by, job_id=str(job.public_id), error=error[:200])


CALL_HANDLER = engine.call_job_handler(
    "video.job", VideoJob, succeeded=_advance, unsuccessful=_settle_unsuccessful, failed="The video model failed."
)


# --- What people do ------------------------------------------------------------------------------------


@transaction.atomic
def video_job_cancel(*, job: VideoJob, user: User | None) -> None:
    """Stop a queued or running job and return its credits."""
    locked = engine.job_lock(VideoJob, job.pk, "call")
    if locked.status not in ACTIVE:
        raise DomainError("This job has already finished.")
    reason = engine.cancelled_by(user)
    engine.job_finish(locked, JobStatus.CANCELLED, reason)
    if locked.call:
        gateway.call_cancel(locked.call, reason=reason)


def video_job_retry(*, job: VideoJob, user: User | None) -> VideoJob:
    """Run a failed or cancelled job again, as a new job with a new hold."""
    from video import upscale

    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError("Only failed or cancelled jobs can be retried.")
    if job.source is None:
        raise DomainError("The original was deleted, so this can't run again.")
    if job.kind == VideoJob.Kind.UPSCALE:
        return upscale.video_upscale_start(
            org=job.org, user=user, asset=job.source, factor=job.params.get("factor", 2), retry_of=job
        )
    params = job.params
    request = VideoRequest(
        prompt=params.get("prompt", ""),
        seconds=params["seconds"],
        shape=params["shape"],
        resolution=params["resolution"],
        speed=params["speed"],
        audio=params["audio"],
        nsfw=params.get("nsfw", False) and not job.source.nsfw,
        write=params.get("write", False),
    )
    return video_start(org=job.org, user=user, asset=job.source, request=request, origin=job.origin, retry_of=job)


def video_jobs_cancel_for_character(character: Character, reason: str) -> None:
    """Cancel a character's running video jobs (it is being deleted; the caller holds its lock)."""
    for job in (
        VideoJob.objects.select_for_update(of=("self",))
        .select_related("hold", "call")
        .filter(character=character, status__in=ACTIVE)
    ):
        engine.job_finish(job, JobStatus.CANCELLED, reason)
        if job.call:
            gateway.call_cancel(job.call, reason=reason)
