"""The JSON API of generation: edit-job status (``/api/v1/jobs/``) and image packs
(``/api/v1/generations/``: start one, read its per-image progress, cancel it). The same services as
the pages, so the same rules, prices and refusals. Session auth for now (API keys arrive with the
extension)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status

from assets import storage
from characters.models import Character
from characters.selectors import character_or_404
from core.exceptions import DomainError
from generation import packs, presets, selectors
from generation.models import EditJob, GenerationJob
from orgs.models import Membership, Role
from orgs.selectors import membership_for

router = Router(tags=["jobs"])


class AssetOut(Schema):
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
    result: AssetOut | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_json(job: EditJob) -> dict:
    result = None
    if job.result:
        key = job.result.variants.get("preview") or job.result.original_key
        result = {
            "id": job.result.public_id,
            "title": job.result.title,
            "width": job.result.width,
            "height": job.result.height,
            "url": storage.signed_url(job.org, key),
        }
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
        "result": result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _membership_or_404(request, model, public_id: UUID) -> Membership:
    """The caller's membership of the org that owns ``model``'s row ``public_id``, resolved by the
    same code as the pages (``membership_for``). 404 for another org's row and a missing one alike."""
    org_slug = model.objects.filter(public_id=public_id).values_list("org__slug", flat=True).first()
    membership = membership_for(request.user, org_slug) if org_slug else None
    if membership is None:
        raise Http404
    return membership


@router.get("{job_id}", response=JobOut, summary="A job's status")
def job_status(request, job_id: UUID):
    """Status of an edit job in one of your organisations; 404 for anything else."""
    membership = _membership_or_404(request, EditJob, job_id)
    return job_json(selectors.edit_job_or_404(membership.org, job_id))


# --- Image packs ----------------------------------------------------------------------------------

generations_router = Router(tags=["generations"])


class GenerationIn(Schema):
    character: UUID = Field(description="The character's id (from the character page's URL).")
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
    idempotency_key: str = Field("", description="Repeat a request with the same key to get the same pack back.")


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


class ErrorOut(Schema):
    detail: str
    field: str | None = None


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
                "url": storage.signed_url(job.org, image.asset.variants.get("preview") or image.asset.original_key)
                if image.asset
                else None,
            }
            for image in images
        ],
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _pack_or_404(request, job_id: UUID) -> tuple[GenerationJob, Membership]:
    membership = _membership_or_404(request, GenerationJob, job_id)
    return selectors.pack_or_404(membership.org, job_id), membership


@generations_router.post(
    "", response={201: GenerationOut, 400: ErrorOut, 402: ErrorOut, 403: ErrorOut}, summary="Start a pack"
)
def generation_create(request, payload: GenerationIn):
    """Start a pack of images of one of your characters. Credits are held now and charged per image
    delivered; 402 when the organisation can't cover the pack (the message has the numbers)."""
    membership = _membership_or_404(request, Character, payload.character)
    if not membership.has_role(Role.MEMBER):
        return Status(403, {"detail": "Viewers can look but not generate. Ask an admin to make you a member."})
    character = character_or_404(membership.org, payload.character)
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
        prompts=[p for p in payload.prompts][: max(presets.COUNTS)],
    )
    try:
        job = packs.pack_start(
            character=character,
            user=request.user,
            recipe=recipe,
            key=payload.idempotency_key,
            origin=GenerationJob.Origin.API,
        )
    except DomainError as exc:
        status = 402 if getattr(exc, "needed", None) is not None else 400
        return Status(status, {"detail": exc.text, "field": exc.field})
    return Status(201, generation_json(selectors.pack_or_404(character.org, job.public_id)))


@generations_router.get("{job_id}", response=GenerationOut, summary="A pack's status, image by image")
def generation_status(request, job_id: UUID):
    """Status of a pack in one of your organisations, with each image's progress and result."""
    return generation_json(_pack_or_404(request, job_id)[0])


@generations_router.post(
    "{job_id}/cancel", response={200: GenerationOut, 400: ErrorOut, 403: ErrorOut}, summary="Cancel a pack"
)
def generation_cancel(request, job_id: UUID):
    """Stop the images not made yet; their credits are returned. Delivered images stay."""
    job, membership = _pack_or_404(request, job_id)
    if not membership.has_role(Role.MEMBER):
        return Status(403, {"detail": "Viewers can look but not cancel. Ask an admin to make you a member."})
    try:
        packs.pack_cancel(job=job, user=request.user)
    except DomainError as exc:
        return Status(400, {"detail": exc.text})
    return Status(200, generation_json(selectors.pack_or_404(job.org, job.public_id)))
