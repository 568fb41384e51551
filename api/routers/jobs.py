"""Paid work by API key: image packs (``/generations/``), edits (``/jobs/``, ``/edits/``) and video
(``/videos/``). The same services as the pages, so the same rules, prices and refusals; every
start takes an ``Idempotency-Key`` header so a retried request gets the first one's job back."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema
from ninja.responses import Status

from api.auth import caller, scoped
from api.errors import ErrorOut
from api.models import Scope
from api.routers.serialize import asset_brief, media_url
from assets import selectors as asset_selectors
from characters.selectors import character_or_404
from generation import packs, presets, selectors
from generation.models import EditJob, GenerationJob
from generation.services import edit_job_cancel, upscale_start
from jobs import engine
from video import selectors as video_selectors
from video.models import VideoJob
from video.services import VideoRequest, video_job_cancel, video_start

ERRORS = {400: ErrorOut, 401: ErrorOut, 402: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
IDEMPOTENCY = Header(
    "",
    alias="Idempotency-Key",
    max_length=80,
    description="Any unique string (a UUID). Repeating a request with the same key returns the first "
    "request's job (200, with Idempotent-Replayed: true) instead of starting and charging another.",
)


def _key(idempotency_key: str) -> str:
    return f"api:{idempotency_key}" if idempotency_key else ""


def _started(response: HttpResponse, body: dict, replayed: bool):
    if replayed:
        response["Idempotent-Replayed"] = "true"
        return Status(200, body)
    return Status(201, body)


# --- Edits (``/jobs/``, ``/edits/``) --------------------------------------------------------------

router = Router(tags=["edits"])


class AssetBrief(Schema):
    id: UUID
    title: str
    width: int | None
    height: int | None
    url: str


class JobOut(Schema):
    id: UUID
    kind: str
    label: str
    status: str
    finished: bool
    credits: int
    params: dict
    queue_position: int | None
    error: str
    source: UUID | None
    result: AssetBrief | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_json(job: EditJob) -> dict:
    return {
        "id": job.public_id,
        "kind": job.kind,
        "label": job.label,
        "status": job.status,
        "finished": not job.is_active,
        "credits": job.credits,
        "params": job.params,
        "queue_position": job.call.queue_position if job.call and job.status == "queued" else None,
        "error": job.error,
        "source": job.source.public_id if job.source else None,
        "result": asset_brief(job.result),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@router.get("jobs/{job_id}", auth=scoped(Scope.READ), response={200: JobOut, **ERRORS}, summary="An edit job's status")
def job_status(request: HttpRequest, job_id: UUID):
    """Status of an edit (upscale, inpaint, outfit change …) and its result. Scope: read."""
    who = caller(request)
    return job_json(selectors.edit_job_or_404(who.org, job_id))


@router.post(
    "jobs/{job_id}/cancel", auth=scoped(Scope.GENERATE), response={200: JobOut, **ERRORS}, summary="Cancel an edit"
)
def job_cancel(request: HttpRequest, job_id: UUID):
    """Stops a queued or running edit; its credits are returned. Scope: generate."""
    who = caller(request)
    job = selectors.edit_job_or_404(who.org, job_id)
    edit_job_cancel(job=job, user=who.key.created_by)
    return job_json(selectors.edit_job_or_404(who.org, job_id))


class UpscaleIn(Schema):
    asset: UUID = Field(description="An image in the library.")
    factor: int = Field(2, description="2 or 4")


@router.post(
    "edits/upscale",
    auth=scoped(Scope.GENERATE),
    response={201: JobOut, 200: JobOut, **ERRORS},
    summary="Upscale an image",
)
def edit_upscale(request: HttpRequest, response: HttpResponse, payload: UpscaleIn, idempotency_key: str = IDEMPOTENCY):
    """Queue an upscale; the credits are held now and charged when it is delivered. Scope: generate."""
    who = caller(request)
    key = _key(idempotency_key)
    replayed = bool(key) and engine.job_by_key(EditJob, who.org, key) is not None
    asset = asset_selectors.asset_or_404(who.org, payload.asset)
    job = upscale_start(org=who.org, user=who.key.created_by, asset=asset, factor=payload.factor, key=key)
    return _started(response, job_json(selectors.edit_job_or_404(who.org, job.public_id)), replayed)


# --- Image packs (``/generations/``) ---------------------------------------------------------------

generations_router = Router(tags=["generations"])


class GenerationIn(Schema):
    character: UUID = Field(description="The character's id (GET /characters).")
    scene: str = Field(presets.DEFAULT_SCENE, description="One of: " + ", ".join(presets.SCENE_KEYS))
    environment: str = Field(presets.DEFAULT_ENVIRONMENT, description="One of: " + ", ".join(presets.ENVIRONMENT_KEYS))
    outfit: str = Field("", description="'' keeps the character's default; else one of the twenty outfit keys.")
    aspect_ratio: str = Field(presets.DEFAULT_ASPECT, description="1:1, 9:16, 16:9, 2:3 or 4:3")
    quality: str = Field(
        presets.DEFAULT_QUALITY, description="draft (fast, up to 1 MP) or hq (about 2 MP, FLUX with the face model)"
    )
    count: int = Field(presets.DEFAULT_COUNT, description="1, 5 or 10")
    seed: int | None = Field(None, description="The first image's seed; the rest follow it.")
    nsfw: bool = False
    prompt: str = Field("", description="Free text added to every image's prompt.")
    prompts: list[str] = Field(default_factory=list, description="Per-image prompts (optional).")
    idempotency_key: str = Field("", max_length=80, description="Older form of the Idempotency-Key header.")


class ImageOut(Schema):
    position: int
    status: str
    stage: str
    seed: int
    prompt: str
    error: str
    identity_score: int | None
    asset: UUID | None
    url: str | None


class GenerationOut(Schema):
    id: UUID
    character: UUID | None
    status: str
    finished: bool
    mode: str
    scene: str
    environment: str
    outfit: str
    aspect_ratio: str
    quality: str
    count: int
    width: int
    height: int
    credits_held: int
    credits_per_image: int
    progress: dict
    images: list[ImageOut]
    error: str
    created_at: datetime
    finished_at: datetime | None


def generation_json(job: GenerationJob) -> dict:
    images = list(job.images.all())
    progress = packs.progress(images)
    return {
        "id": job.public_id,
        "character": job.character.public_id if job.character else None,
        "status": job.status,
        "finished": not job.is_active,
        "mode": job.mode,
        "scene": job.scene,
        "environment": job.environment,
        "outfit": job.outfit,
        "aspect_ratio": job.aspect_ratio,
        "quality": job.quality,
        "count": job.count,
        "width": job.width,
        "height": job.height,
        "credits_held": job.credits,
        "credits_per_image": job.price_per_image,
        "progress": {
            "total": progress.total,
            "done": progress.done,
            "failed": progress.failed,
            "cancelled": progress.cancelled,
            "active": progress.active,
        },
        "images": [
            {
                "position": image.position,
                "status": image.status,
                "stage": image.stage,
                "seed": image.seed,
                "prompt": image.prompt,
                "error": image.error,
                "identity_score": image.identity_score,
                "asset": image.asset.public_id if image.asset else None,
                "url": media_url(image.asset) if image.asset else None,
            }
            for image in images
        ],
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@generations_router.post(
    "", auth=scoped(Scope.GENERATE), response={201: GenerationOut, 200: GenerationOut, **ERRORS}, summary="Start a pack"
)
def generation_create(
    request: HttpRequest, response: HttpResponse, payload: GenerationIn, idempotency_key: str = IDEMPOTENCY
):
    """Start a pack of images of one of your characters. Credits are held now and charged per image
    delivered; 402 when the organisation can't cover the pack (the message has the numbers).
    Scope: generate."""
    who = caller(request)
    key = _key(idempotency_key or payload.idempotency_key)
    replayed = bool(key) and engine.job_by_key(GenerationJob, who.org, key) is not None
    character = character_or_404(who.org, payload.character)
    recipe = packs.PackRecipe(
        scene=payload.scene,
        environment=payload.environment,
        outfit=payload.outfit,
        aspect_ratio=payload.aspect_ratio,
        quality=payload.quality,
        count=payload.count,
        seed=payload.seed,
        nsfw=payload.nsfw,
        prompt_text=payload.prompt,
        prompts=list(payload.prompts)[: max(presets.COUNTS)],
    )
    job = packs.pack_start(
        character=character, user=who.key.created_by, recipe=recipe, key=key, origin=GenerationJob.Origin.API
    )
    return _started(response, generation_json(selectors.pack_or_404(who.org, job.public_id)), replayed)


@generations_router.get(
    "{job_id}",
    auth=scoped(Scope.READ),
    response={200: GenerationOut, **ERRORS},
    summary="A pack's status, image by image",
)
def generation_status(request: HttpRequest, job_id: UUID):
    """Each image's progress and result. Scope: read."""
    who = caller(request)
    return generation_json(selectors.pack_or_404(who.org, job_id))


@generations_router.post(
    "{job_id}/cancel", auth=scoped(Scope.GENERATE), response={200: GenerationOut, **ERRORS}, summary="Cancel a pack"
)
def generation_cancel(request: HttpRequest, job_id: UUID):
    """Stop the images not made yet; their credits are returned. Delivered images stay. Scope: generate."""
    who = caller(request)
    job = selectors.pack_or_404(who.org, job_id)
    packs.pack_cancel(job=job, user=who.key.created_by)
    return generation_json(selectors.pack_or_404(who.org, job_id))


# --- Video (``/videos/``) ----------------------------------------------------------------------------

videos_router = Router(tags=["video"])


class VideoIn(Schema):
    asset: UUID = Field(description="The image to animate.")
    prompt: str = Field("", description="The motion, e.g. 'she turns to the camera and smiles'.")
    write: bool = Field(False, description="Let the prompt generator write the motion (prompt is then a direction).")
    seconds: int = Field(6, description="6, 8 or 10")
    shape: str = Field("", description="'' (the image's own), 16:9, 9:16 or 1:1")
    resolution: str = Field("", description="'' for the shape's default, e.g. 720p")
    speed: str = Field("pro", description="fast or pro")
    audio: bool = True
    nsfw: bool = False


class VideoOut(Schema):
    id: UUID
    kind: str
    status: str
    finished: bool
    credits: int
    params: dict
    error: str
    source: UUID | None
    result: AssetBrief | None
    created_at: datetime
    finished_at: datetime | None


def video_json(job: VideoJob) -> dict:
    return {
        "id": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "finished": not job.is_active,
        "credits": job.credits,
        "params": {k: v for k, v in job.params.items() if k not in ("safety_checker",)},
        "error": job.error,
        "source": job.source.public_id if job.source else None,
        "result": asset_brief(job.result),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@videos_router.post(
    "",
    auth=scoped(Scope.GENERATE),
    response={201: VideoOut, 200: VideoOut, **ERRORS},
    summary="Make a video from an image",
)
def video_create(request: HttpRequest, response: HttpResponse, payload: VideoIn, idempotency_key: str = IDEMPOTENCY):
    """Queue a clip of an image; the credits are held now. A refused choice is a 400 naming the
    field; too few credits a 402. Scope: generate."""
    who = caller(request)
    key = _key(idempotency_key)
    replayed = bool(key) and engine.job_by_key(VideoJob, who.org, key) is not None
    asset = asset_selectors.asset_or_404(who.org, payload.asset)
    job = video_start(
        org=who.org,
        user=who.key.created_by,
        asset=asset,
        request=VideoRequest(
            prompt=payload.prompt,
            seconds=payload.seconds,
            shape=payload.shape,
            resolution=payload.resolution,
            speed=payload.speed,
            audio=payload.audio,
            nsfw=payload.nsfw,
            write=payload.write,
        ),
        key=key,
    )
    return _started(response, video_json(video_selectors.video_job_or_404(who.org, job.public_id)), replayed)


@videos_router.get(
    "{job_id}", auth=scoped(Scope.READ), response={200: VideoOut, **ERRORS}, summary="A video job's status"
)
def video_status(request: HttpRequest, job_id: UUID):
    """Scope: read."""
    who = caller(request)
    return video_json(video_selectors.video_job_or_404(who.org, job_id))


@videos_router.post(
    "{job_id}/cancel", auth=scoped(Scope.GENERATE), response={200: VideoOut, **ERRORS}, summary="Cancel a video job"
)
def video_cancel(request: HttpRequest, job_id: UUID):
    """Its credits are returned. Scope: generate."""
    who = caller(request)
    job = video_selectors.video_job_or_404(who.org, job_id)
    video_job_cancel(job=job, user=who.key.created_by)
    return video_json(video_selectors.video_job_or_404(who.org, job_id))
