"""Edits that repaint part of a library image (PRODUCT.md §3): inpaint and change clothes.

- **Inpaint**: a mask painted in the browser (white = change) and a description of the change →
  one ``inpaint`` call (``fal-ai/flux-lora/inpainting``).
- **Change clothes** with an outfit (one of the 20, or described) → two calls: ``segment``
  (``fal-ai/evf-sam``) finds the clothes and its mask is stored at the job's mask key, then
  ``inpaint`` paints "wearing <outfit>" into it. ``job.params["step"]`` names the call the job is
  waiting on; ``job.call`` is replaced by the second call once the mask is stored.
- **Change clothes** with a clothing photo → one ``tryon`` call (``fal-ai/fashn/tryon/v1.6``).

Each is one ``EditJob`` paid by one credit hold, started like an upscale: the job, the hold and the
first call in one transaction, the call submitted after commit. Prompts are screened for minors
before that transaction, so the refusal record survives. When the source shows a character whose
face model is trained, the inpaint call carries the LoRA and the trigger word, so the face stays
theirs; the safety checker is off only for an adult image of a character allowed adult content.

``edit_on_call`` (registered as ``generation.edit``) settles them on the job engine. The result is a new library image, a child of the source (and of the
clothing photo), with its recipe; the source is never changed.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import PurePath

from django.db import transaction

from accounts.models import User
from analytics.services import track
from assets import media, storage
from assets.models import Asset
from assets.services import EDIT_VARIANT
from billing.prices import operation_credits
from billing.services import credits_require
from characters import attributes
from characters.models import Character
from characters.services import nsfw_permitted
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import masks, prompts
from generation.masks import mask_read
from generation.models import EditJob
from jobs import engine
from orgs.models import Organization
from providers import gateway, outputs, registry
from providers.models import ProviderCall
from safety.services import text_screen

log = logging.getLogger(__name__)

INPAINT_PRICE = "inpaint"
CLOTHES_PRICE = "clothing_change"

STEP_INPAINT, STEP_SEGMENT, STEP_TRYON = "inpaint", "segment", "tryon"
# The image every step reads: the source as the library shows it (orientation applied, sRGB, no
# transparency) at full resolution, the image the mask was painted on; made on first use.
EDIT_IMAGE = EDIT_VARIANT
STEP_WORDS = {
    STEP_SEGMENT: "Finding the clothes",
    STEP_INPAINT: "Painting the change",
    STEP_TRYON: "Trying the garment on",
}

MAX_DESCRIPTION = 300
# An added object needs most of the masked area repainted; the rest keeps the light and edges.
INPAINT_STRENGTH = 0.95
# New clothes replace the old ones completely inside the segmented mask.
CLOTHES_STRENGTH = 1.0
INPAINT_STEPS = 28
# What evf-sam looks for, what it leaves alone, and how far the mask grows past the garment's
# edge, so the new outfit blends in instead of leaving a rim of the old one.
SEGMENT_PROMPT = "clothing"
SEGMENT_NEGATIVE = "face, hair"
SEGMENT_EXPAND_PX = 8

EMPTY_PROMPT = "Describe the change you want, for example “add a nano banana on the table”."
NO_OUTFIT = "Choose one of the outfits, or describe the outfit you want."
NO_CLOTHING = "Upload a photo of the garment, or choose one from your library."


class EditRefused(DomainError):
    """Inputs that can't be used, each with its reason: ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)


@dataclass(frozen=True)
class EditOffer:
    """An edit on the asset page and its own page: its price, and why it can't be used, if it can't."""

    kind: str
    label: str
    credits: int
    problem: str = ""

    @property
    def allowed(self) -> bool:
        return not self.problem


def edit_problem(asset: Asset) -> str:
    """Why ``asset`` can't be inpainted or have its clothes changed ('' if it can)."""
    if asset.kind == Asset.Kind.VIDEO:
        return "Inpainting and clothing changes work on images, and this is a video."
    if asset.kind != Asset.Kind.IMAGE:
        return "Inpainting and clothing changes work on images, and this is a file of another kind."
    if not asset.width or not asset.height:
        return "This image's size isn't known, so a mask can't be matched to it. Upload it again."
    return ""


def edit_offers(asset: Asset) -> list[EditOffer]:
    problem = edit_problem(asset)
    return [
        EditOffer(EditJob.Kind.INPAINT, "Edit (inpaint)", operation_credits(INPAINT_PRICE), problem),
        EditOffer(EditJob.Kind.CLOTHES, "Change clothes", operation_credits(CLOTHES_PRICE), problem),
    ]


def face_model(asset: Asset) -> Character | None:
    """The character in ``asset`` whose face model (LoRA) is trained, if there is one."""
    character = asset.character
    return character if character is not None and character.mode == "hd" else None


# --- Starting ---------------------------------------------------------------------------------------


def inpaint_start(*, org: Organization, user: User | None, asset: Asset, prompt: str, mask, key: str = "") -> EditJob:
    """Repaint the part of ``asset`` under ``mask`` (an uploaded PNG, white = change) as ``prompt``
    describes. Raises ``EditRefused`` (per field), ``MinorsRefused`` or ``InsufficientCredits``.

    ``key`` makes a double-click start one job: the second request gets the first's job back.
    """
    if existing := engine.job_by_key(EditJob, org, key):
        return existing
    _check_source(org, asset)
    # _check_source refuses an image of unknown size.
    assert asset.width is not None
    assert asset.height is not None
    errors = {}
    prompt = " ".join((prompt or "").split())
    if not prompt:
        errors["prompt"] = EMPTY_PROMPT
    elif len(prompt) > prompts.MAX_PROMPT:
        errors["prompt"] = f"Keep the description under {prompts.MAX_PROMPT:,} characters (it has {len(prompt):,})."
    else:
        text_screen(prompt, org=org, user=user, where="inpaint", field="prompt", nsfw=not _safety_checker(asset))
    png, covered = b"", 0.0
    try:
        png, covered = mask_read(mask, width=asset.width, height=asset.height)
    except DomainError as exc:
        errors["mask"] = exc.message
    if errors:
        raise EditRefused(errors)
    return _inpaint_create(org, user, asset, prompt, png, covered, key=key, retry_of=None)


def _inpaint_create(org, user, asset, prompt, png, covered, *, key, retry_of) -> EditJob:
    params = {
        "prompt": prompt,
        "mask_coverage_pct": covered,
        "step": STEP_INPAINT,
        "seed": random.randrange(2**31),
        "safety_checker": _safety_checker(asset),
    }
    job, created = _create(
        org=org,
        user=user,
        asset=asset,
        kind=EditJob.Kind.INPAINT,
        price=INPAINT_PRICE,
        params=params,
        description=f"Inpaint of “{asset.title}”",
        key=key,
        retry_of=retry_of,
        mask_png=png,
    )
    if created:
        track(
            "inpaint_started",
            org=org,
            user=user,
            **_ids(asset),
            job_id=str(job.public_id),
            mask_coverage_pct=covered,
            retry=retry_of is not None,
        )
    return job


def clothes_start(
    *,
    org: Organization,
    user: User | None,
    asset: Asset,
    outfit: str = "",
    description: str = "",
    clothing: Asset | None = None,
    key: str = "",
) -> EditJob:
    """Dress the person in ``asset`` differently: in one of the outfits (``outfit``, an
    ``attributes.OUTFITS`` key), in the outfit ``description`` says (it wins over ``outfit``), or in
    the garment of the library image ``clothing`` (a virtual try-on). Raises ``EditRefused``,
    ``MinorsRefused`` or ``InsufficientCredits``; ``key`` as for ``inpaint_start``."""
    if existing := engine.job_by_key(EditJob, org, key):
        return existing
    _check_source(org, asset)
    if clothing is not None:
        _check_clothing(org, asset, clothing)
        credits_require(org, operation_credits(CLOTHES_PRICE))
        return _clothes_create(org, user, asset, {"via": "photo", "step": STEP_TRYON}, clothing=clothing, key=key)
    description = " ".join((description or "").split())
    if description:
        if len(description) > MAX_DESCRIPTION:
            raise EditRefused(
                {"description": f"Keep the outfit under {MAX_DESCRIPTION} characters (it has {len(description)})."}
            )
        text_screen(
            description, org=org, user=user, where="clothes", field="description", nsfw=not _safety_checker(asset)
        )
        words, outfit, label = description, "", ""
    elif outfit:
        words = attributes.words("default_outfit", outfit)
        if not words:
            raise EditRefused({"outfit": "Choose one of the outfits shown."})
        label = attributes.label("default_outfit", outfit)
    else:
        raise EditRefused({"outfit": NO_OUTFIT})
    credits_require(org, operation_credits(CLOTHES_PRICE))
    words = words.removeprefix("wearing ").removeprefix("Wearing ")
    params = {
        "via": "outfit",
        "outfit": outfit,
        "outfit_label": label,
        "outfit_words": words,
        "prompt": f"wearing {words}",
        "step": STEP_SEGMENT,
    }
    return _clothes_create(org, user, asset, params, key=key)


def _clothes_create(org, user, asset, params, *, clothing=None, key="", retry_of=None, mask_png=None) -> EditJob:
    params = {**params, "seed": random.randrange(2**31), "safety_checker": _safety_checker(asset)}
    job, _created = _create(
        org=org,
        user=user,
        asset=asset,
        kind=EditJob.Kind.CLOTHES,
        price=CLOTHES_PRICE,
        params=params,
        description=f"Clothing change of “{asset.title}”",
        key=key,
        retry_of=retry_of,
        reference=clothing,
        mask_png=mask_png,
    )
    return job


def edit_job_rerun(*, job: EditJob, user: User | None) -> EditJob:
    """Run a failed or cancelled inpaint or clothing change again, as a new job with a new hold: the
    same description and the same mask (a clothing change whose clothes were already found skips
    finding them again)."""
    assert job.source_id is not None  # edit_job_retry refuses a job whose source was deleted
    asset = Asset.objects.select_related("character").get(pk=job.source_id)
    _check_source(job.org, asset)
    if job.kind == EditJob.Kind.INPAINT:
        png = masks.stored_mask(job)
        if png is None:
            raise DomainError("The mask of this edit is gone, so it can't run again. Paint it again on the image.")
        prompt = job.params.get("prompt", "")
        text_screen(prompt, org=job.org, user=user, where="inpaint", field="prompt", nsfw=not _safety_checker(asset))
        covered = job.params.get("mask_coverage_pct", 0.0)
        return _inpaint_create(job.org, user, asset, prompt, png, covered, key="", retry_of=job)
    if job.params.get("via") == "photo":
        if job.reference is None:
            raise DomainError("The clothing image was deleted, so this can't run again. Choose another one.")
        _check_clothing(job.org, asset, job.reference)
        return _clothes_create(
            job.org, user, asset, {"via": "photo", "step": STEP_TRYON}, clothing=job.reference, retry_of=job
        )
    text_screen(
        job.params.get("prompt", ""),
        org=job.org,
        user=user,
        where="clothes",
        field="description",
        nsfw=not _safety_checker(asset),
    )
    kept = ("via", "outfit", "outfit_label", "outfit_words", "prompt", "mask_coverage_pct")
    params = {k: job.params[k] for k in kept if k in job.params}
    png = masks.stored_mask(job)
    params["step"] = STEP_INPAINT if png else STEP_SEGMENT
    return _clothes_create(job.org, user, asset, params, retry_of=job, mask_png=png)


def _check_source(org: Organization, asset: Asset) -> None:
    if asset.org_id != org.pk:
        raise DomainError("That image isn't in this organisation's library.")
    if problem := edit_problem(asset):
        raise DomainError(problem)


def _check_clothing(org: Organization, asset: Asset, clothing: Asset) -> None:
    if clothing.org_id != org.pk:
        raise EditRefused({"clothing": "That clothing image isn't in this organisation's library."})
    if clothing.kind != Asset.Kind.IMAGE:
        raise EditRefused({"clothing": "The clothing has to be a photo, not a video or another file."})
    if clothing.pk == asset.pk:
        raise EditRefused({"clothing": "That is the image you are changing. Choose a photo of the garment."})


def _safety_checker(asset: Asset) -> bool:
    """Off only for an adult image of a character that may be shown in adult content."""
    return not (asset.nsfw and asset.character is not None and nsfw_permitted(asset.character))


def _create(
    *, org, user, asset, kind, price, params, description, key, retry_of, reference=None, mask_png=None
) -> tuple[EditJob, bool]:
    """The job, its hold, its mask and its first call, in one transaction; or the job a repeated
    form already started (then False)."""
    written: list[str] = []

    def build(job: EditJob) -> None:
        if mask_png:
            job.mask_key = masks.mask_save(job, mask_png)
            written.append(job.mask_key)
        job.call = _call_create(job, asset)

    try:
        return engine.job_start_created(
            EditJob,
            org=org,
            user=user,
            key=key,
            credits=operation_credits(price),
            operation=price,
            hold_description=description,
            build=build,
            kind=kind,
            params=params,
            source=asset,
            source_title=asset.title,
            reference=reference,
            retry_of=retry_of,
        )
    except BaseException:
        for written_key in written:
            storage.delete(written_key)
        raise


# --- Provider calls -----------------------------------------------------------------------------------


def _call_create(job: EditJob, asset: Asset) -> ProviderCall:
    step = job.params["step"]
    if step == STEP_SEGMENT:
        payload = {
            "image_url": {"$asset": str(asset.public_id), "variant": EDIT_IMAGE},
            "prompt": SEGMENT_PROMPT,
            "negative_prompt": SEGMENT_NEGATIVE,
            "mask_only": True,
            "fill_holes": True,
            "expand_mask": SEGMENT_EXPAND_PX,
        }
        return gateway.call_create(org=job.org, operation="segment", input=payload, handler=CALL_HANDLER, subject=job)
    if step == STEP_TRYON:
        return gateway.call_create(
            org=job.org, operation="tryon", input=_tryon_input(job, asset), handler=CALL_HANDLER, subject=job
        )
    return gateway.call_create(
        org=job.org, operation="inpaint", input=_inpaint_input(job, asset), handler=CALL_HANDLER, subject=job
    )


def _inpaint_input(job: EditJob, asset: Asset) -> dict:
    character = face_model(asset)
    prompt = job.params["prompt"]
    payload = {
        "prompt": prompts.with_trigger(prompt, character) if character else prompt,
        "image_url": {"$asset": str(asset.public_id), "variant": EDIT_IMAGE},
        "mask_url": {"$key": job.mask_key},
        "strength": CLOTHES_STRENGTH if job.kind == EditJob.Kind.CLOTHES else INPAINT_STRENGTH,
        "num_inference_steps": INPAINT_STEPS,
        "guidance_scale": 3.5,
        "num_images": 1,
        "seed": job.params["seed"],
        "enable_safety_checker": job.params["safety_checker"],
        "output_format": "jpeg",
    }
    if character:
        payload["loras"] = [{"path": {"$key": character.lora_key}, "scale": 1}]
    return payload


def _tryon_input(job: EditJob, asset: Asset) -> dict:
    assert job.reference is not None  # a clothing change keeps its clothing image as the reference
    return {
        "model_image": {"$asset": str(asset.public_id), "variant": EDIT_IMAGE},
        "garment_image": {"$asset": str(job.reference.public_id), "variant": "preview"},
        "category": "auto",
        "mode": "quality",
        "garment_photo_type": "auto",
        "moderation_level": "permissive" if job.params["safety_checker"] else "none",
        "num_samples": 1,
        "seed": job.params["seed"],
        "output_format": "jpeg",
    }


# --- Settling (called by the gateway) ------------------------------------------------------------------


def _locked(job_id: int) -> EditJob:
    return engine.job_lock(EditJob, job_id, "org", "source", "source__character", "reference", "created_by")


def _advance(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The job's current call succeeded: store the clothes' mask and paint them, or deliver the
    result. The job row stays locked meanwhile, so a cancel waits and then finds it done."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status not in ACTIVE or job.call_id != call.pk:
            return  # settled already, or a repeated task for a call a later step replaced
        with engine.OutputGuard(
            lambda message, error_type: _fail_locked(job, JobStatus.FAILED, message, error_type),
            last_attempt=last_attempt,
        ):
            source = job.source
            if source is None:
                raise engine.Unusable("The original image was deleted while the edit ran.", "source_deleted")
            if job.params.get("step") == STEP_SEGMENT:
                _segmented(job, source, call)
            else:
                _deliver(job, source, call)


def _segmented(job: EditJob, source: Asset, call: ProviderCall) -> None:
    """Keep the clothes' mask at the job's mask key, then ask for the new outfit inside it."""
    # edit_problem refused an image of unknown size when the job started.
    assert source.width is not None
    assert source.height is not None
    with outputs.output_download(call, outputs.output_image_url(call.output)) as path:
        try:
            sniffed = media.sniff(path)
        except media.MediaError as exc:
            raise engine.Unusable(
                f"The clothes' mask wasn't an image we can read: {exc.message}", "bad_output"
            ) from None
        if sniffed.mime not in masks.MASK_FORMATS:
            raise engine.Unusable("The clothes' mask wasn't an image we can read.", "bad_output")
        try:
            png, covered = masks.mask_png(path, sniffed.mime, width=source.width, height=source.height, resize=True)
        except DomainError as exc:
            raise engine.Unusable(exc.message, "bad_output") from None
    if not covered:
        raise engine.Unusable(
            "No clothes were found in this image, so there was nothing to change. Try inpainting instead.",
            "nothing_found",
        )
    job.mask_key = masks.mask_save(job, png)
    job.params = {**job.params, "step": STEP_INPAINT, "mask_coverage_pct": covered}
    job.call = _call_create(job, source)
    job.save(update_fields=["mask_key", "params", "call", "updated_at"])


def _deliver(job: EditJob, source: Asset, call: ProviderCall) -> None:
    """Copy the result into the library as a new child of the source, and charge the hold, once."""
    suffix = "new outfit" if job.kind == EditJob.Kind.CLOTHES else "edited"
    asset = engine.output_to_library(
        call,
        org=job.org,
        filename=f"{PurePath(job.source_title or 'image').stem} {suffix}.jpg",
        title=f"{job.source_title} · {suffix}",
        source=Asset.Source.EDITED,
        created_by=job.created_by,
        parents=[source, job.reference],
        recipe=edit_recipe(job, call),
        nsfw=source.nsfw,
        character=source.character,
        credits=job.credits,
        cost_of=job.attempts(),
    )
    engine.job_finish(job, JobStatus.SUCCEEDED, result=asset)
    assert job.finished_at is not None  # job_finish set it
    if job.kind == EditJob.Kind.INPAINT:
        track(
            "inpaint_completed",
            org=job.org,
            user=job.created_by,
            **_ids(source),
            job_id=str(job.public_id),
            duration_ms=round((job.finished_at - job.created_at).total_seconds() * 1000),
        )


def edit_recipe(job: EditJob, call: ProviderCall) -> dict:
    """What the library keeps about an edit: what was asked, of what, by which model, at what cost;
    the source's own recipe (scene, environment, format, quality) carries over."""
    source = job.source
    inherited = {
        k: v
        for k, v in ((source.recipe if source else None) or {}).items()
        if k in ("scene", "environment", "outfit", "outfit_label", "aspect_ratio", "quality")
    }
    character = source.character if source else None
    hd = face_model(source) if source else None
    via = job.params.get("via", "")
    demo_words = {
        STEP_INPAINT: "Labelled placeholder painted into the mask (demo provider, not AI)",
        STEP_TRYON: "Garment pasted as a labelled inset (demo provider, not AI)",
    }
    recipe = {
        **inherited,
        "operation": job.kind,
        "method": {"photo": "tryon", "outfit": "segment+inpaint"}.get(via, "inpaint"),
        "prompt": job.params.get("prompt", ""),
        "provider_prompt": (call.input or {}).get("prompt", ""),
        "provider": call.provider,
        "model": demo_words[job.params["step"]] if call.provider == "demo" else call.endpoint_id,
        "model_label": registry.ENDPOINTS[call.operation].label,
        "endpoint": call.endpoint_id,
        "mask": job.mask_key,
        "mask_coverage_pct": job.params.get("mask_coverage_pct"),
        "character": str(character.public_id) if character else None,
        "character_name": character.name if character else "",
        "lora": hd.lora_key if hd else "",
        "trigger_word": hd.trigger_word if hd else "",
        "safety_checker": job.params.get("safety_checker", True),
        "nsfw": source.nsfw if source else False,
        "source": str(source.public_id) if source else None,
        "cost": job.credits,
        "job": str(job.public_id),
        "seed": (call.output or {}).get("seed", job.params.get("seed")),
    }
    if via == "outfit":
        recipe["segment_endpoint"] = registry.ENDPOINTS["segment"].endpoint_id
    if job.kind == EditJob.Kind.CLOTHES:
        recipe.update(
            outfit=job.params.get("outfit") or ("clothing" if via == "photo" else "described"),
            outfit_label=job.params.get("outfit_label", ""),
            outfit_words=job.params.get("outfit_words", ""),
            clothing=str(job.reference.public_id) if job.reference else None,
        )
    return recipe


def _settle_unsuccessful(job_id: int, call: ProviderCall, status: str, error: str) -> None:
    """The job's current call failed or was cancelled: so does the job (unless a later step replaced it)."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status in ACTIVE and job.call_id == call.pk:
            _fail_locked(job, status, error, "cancelled" if status == JobStatus.CANCELLED else "provider_error")


# Inpaint and clothing changes: each call takes the next step, delivers, or fails the job.
CALL_HANDLER = engine.call_job_handler(
    "generation.edit", EditJob, succeeded=_advance, unsuccessful=_settle_unsuccessful
)


def _ids(asset: Asset | None) -> dict:
    character = asset.character if asset else None
    return {
        "influencer_id": str(character.public_id) if character else None,
        "image_id": str(asset.public_id) if asset else None,
    }


def _fail_locked(job: EditJob, status: str, error: str, error_type: str) -> None:
    engine.job_finish(job, status, error)
    if job.kind == EditJob.Kind.INPAINT and status == JobStatus.FAILED:
        track(
            "inpaint_failed",
            org=job.org,
            user=job.created_by,
            **_ids(job.source),
            job_id=str(job.public_id),
            error_type=error_type,
        )
