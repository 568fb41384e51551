"""A pack's images as the provider makes them (PRODUCT.md §3): each image is one call or a short
chain — ``describe`` (the vision model writes its prompt from a library image) → ``generate`` →
``tryon`` (the pack's clothing image). The gateway calls ``image_on_call`` (registered as
``generation.pack_image``) as calls start and finish; a finished image is copied into the library
with its recipe, then scored against the character in the worker (``identity.tasks.asset_score``, on
every delivery to the library).

When the last image of a pack has settled, the pack's hold is settled once (``job_refresh``): the
delivered images are charged, the rest released. A retried image pays with a hold of its own.
Locks: the job, then its image, then (in ``billing``) the hold.
"""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from analytics.services import track
from assets import storage
from assets.models import Asset
from characters.models import Character
from core.jobs import ACTIVE, JobStatus, transition
from generation import followups, licence_checks, presets, prompt_writer, routing
from generation.models import GenerationImage, GenerationJob
from jobs import engine
from providers import gateway, handlers, outputs, registry
from providers.adapters.base import ProviderError
from providers.models import ProviderCall
from safety.screen import MinorsRefused
from safety.services import text_screen

log = logging.getLogger(__name__)


def first_call(job: GenerationJob, image: GenerationImage, character: Character) -> ProviderCall:
    if image.stage == GenerationImage.Stage.DESCRIBE:
        assert image.reference is not None  # only images made from a reference are described first
        marker = {"$asset": str(image.reference.public_id), "variant": "preview"}
        request = prompt_writer.describe_request(character=character, reference_marker=marker, nsfw=job.nsfw)
        return gateway.call_create(org=job.org, operation="chat", input=request, handler=CALL_HANDLER, subject=image)
    return gateway.call_create(
        org=job.org,
        operation=job.operation,
        input=routing.generate_input(job, image, character),
        handler=CALL_HANDLER,
        subject=image,
    )


# --- Settling (called by the gateway) ------------------------------------------------------------


def image_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    image = GenerationImage.objects.filter(call_id=call.pk).only("pk", "job_id").first()
    if image is None:
        log.info("provider call %s has no generation image (a later step replaced it, or it was deleted)", call.pk)
        return
    if event == "running":
        now = timezone.now()
        transition(GenerationImage, image.pk, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=now)
        engine.job_running(GenerationJob, image.job_id)
        return
    if call.status == ProviderCall.Status.SUCCEEDED:
        _advance(image.pk, call, last_attempt=last_attempt)
    else:
        _settle(image.pk, call, *engine.call_outcome(call))


CALL_HANDLER = handlers.register("generation.pack_image", image_on_call)


def locked(image_id: int) -> tuple[GenerationJob, GenerationImage]:
    job_id = GenerationImage.objects.filter(pk=image_id).values_list("job_id", flat=True).get()
    job = (
        GenerationJob.objects.select_for_update(of=("self",))
        .select_related("org", "character", "character__base_image", "hold", "clothing", "created_by")
        .get(pk=job_id)
    )
    image = GenerationImage.objects.select_for_update(of=("self",)).select_related("reference", "hold").get(pk=image_id)
    return job, image


def _advance(image_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The image's current call succeeded: run its next step, or store it in the library."""
    with transaction.atomic():
        job, image = locked(image_id)
        if image.status not in ACTIVE or image.call_id != call.pk:
            return  # settled already (cancelled meanwhile, or a repeated task)
        with engine.OutputGuard(
            lambda message, _type: image_finish(job, image, JobStatus.FAILED, message), last_attempt=last_attempt
        ):
            if image.stage == GenerationImage.Stage.DESCRIBE:
                _described(job, image, call)
            elif image.stage == GenerationImage.Stage.GENERATE and job.clothing_id:
                _generated_for_tryon(job, image, call)
            else:
                _deliver(job, image, call)
        job_refresh(job)


def _described(job: GenerationJob, image: GenerationImage, call: ProviderCall) -> None:
    character = _character(job)
    written = prompt_writer.parse_prompts(str((call.output or {}).get("text") or ""), expected=1)[0]
    try:
        text_screen(written, org=job.org, user=job.created_by, where="describe", nsfw=job.nsfw)
    except MinorsRefused as exc:
        raise engine.Unusable(f"The written prompt was refused. {exc.message}", "prompt_refused") from None
    image.prompt = written
    image.stage = GenerationImage.Stage.GENERATE
    image.call = gateway.call_create(
        org=job.org,
        operation=job.operation,
        input=routing.generate_input(job, image, character),
        handler=CALL_HANDLER,
        subject=image,
    )
    image.save(update_fields=["prompt", "stage", "call"])


def _character(job: GenerationJob) -> Character:
    if job.character is None:
        raise ProviderError("The character was deleted, so this image can't be finished.")
    return job.character


def _generated_for_tryon(job: GenerationJob, image: GenerationImage, call: ProviderCall) -> None:
    """Keep the generated image in our storage (the try-on reads it from there), then try the
    clothing on it."""
    key = storage.generation_scratch_key(job.org, job, image)
    with outputs.output_download(call, outputs.output_image_url(call.output)) as path, path.open("rb") as fh:
        storage.delete(key)
        key = storage.storage().save(key, File(fh))
    image.intermediate_key = key
    image.stage = GenerationImage.Stage.TRYON
    image.call = gateway.call_create(
        org=job.org, operation="tryon", input=routing.tryon_input(job, image), handler=CALL_HANDLER, subject=image
    )
    image.save(update_fields=["intermediate_key", "stage", "call"])


def _deliver(job: GenerationJob, image: GenerationImage, call: ProviderCall) -> None:
    """Copy the finished image into the library with its recipe, once."""
    character = job.character
    name = job.character_name
    if job.style_recipe:
        made_as = f"style “{job.style_name}”"
    else:
        made_as = presets.SCENES_BY_KEY[job.scene].label if job.scene else "from a reference"
    title = f"{name} · {made_as} {image.position + 1}"
    licence = licence_checks.checker(job.org_id, character)
    if licence and (refusal := licence.image_refusal(job=job)):
        # Revoked, or the month's limit reached: this image and the rest are refused and refunded.
        image_finish(job, image, JobStatus.CANCELLED, refusal)
        stop_rest(job, refusal)
        return
    asset = engine.output_to_library(
        call,
        org=job.org,
        filename=f"{slugify(name) or 'character'}-{slugify(PurePath(title).stem)}.jpg",
        title=title,
        source=Asset.Source.GENERATED,
        created_by=job.created_by,
        parents=[image.reference, job.clothing, _style_source(job)],
        recipe=image_recipe(job, image, call),
        nsfw=job.nsfw,
        character=character,
        unflag_parents=False,
        credits=image.hold.amount if image.hold else job.price_per_image,
        cost_of=[image],
    )
    if image.intermediate_key:
        scratch = image.intermediate_key
        transaction.on_commit(lambda: storage.delete(scratch))
    image.asset = asset
    image_finish(job, image, JobStatus.SUCCEEDED)
    if licence:
        licence.image_delivered(job=job, image=image, asset=asset)
    image_id = image.pk
    transaction.on_commit(lambda: followups.image_delivered(image_id), robust=True)
    track(
        "generation_image_completed",
        org=job.org,
        user=job.created_by,
        influencer_id=str(character.public_id) if character else None,
        job_id=str(job.public_id),
        image_index=image.position,
        duration_ms=_ms(image.started_at),
        mode=job.mode,
    )


def _style_source(job: GenerationJob) -> Asset | None:
    """The library image the pack's style was extracted from, if the pack used a style and the
    image is still there: the new image's lineage shows where its look came from."""
    if not job.style_id or job.style is None:
        return None
    return job.style.source


def _ms(since) -> int | None:
    return round((timezone.now() - since).total_seconds() * 1000) if since else None


def image_recipe(job: GenerationJob, image: GenerationImage, call: ProviderCall | None = None) -> dict:
    """What the library keeps about a generated image: enough to make it again."""
    endpoint = registry.ENDPOINTS[job.operation]
    demo = call is not None and call.provider == "demo"
    return {
        "operation": "generation",
        "job": str(job.public_id),
        "character": str(job.character.public_id) if job.character else None,
        "character_name": job.character_name,
        "prompt": image.prompt,
        "scene": job.scene,
        "environment": job.environment,
        "style": job.style_recipe or None,
        "outfit": job.outfit or "default",
        "outfit_label": presets.outfit_label(job.outfit),
        "clothing": str(job.clothing.public_id) if job.clothing else None,
        "reference": str(image.reference.public_id) if image.reference else None,
        "mode": job.mode,
        "model": "Labelled placeholder (demo provider, not AI)" if demo else job.operation,
        "model_label": endpoint.label,
        "endpoint": call.endpoint_id if call else endpoint.endpoint_id,
        "provider": call.provider if call else endpoint.provider,
        "lora": routing.character_lora_key(job, job.character),
        "trigger_word": job.character.trigger_word if job.mode == GenerationJob.Mode.HD and job.character else "",
        "style_loras": [{"name": lora["name"], "scale": lora["scale"]} for lora in job.style_loras],
        "seed": image.seed,
        "width": job.width,
        "height": job.height,
        "aspect_ratio": job.aspect_ratio,
        "quality": job.quality,
        "steps": job.steps,
        "nsfw": job.nsfw,
        "cost": job.price_per_image,
        "rerun_of": str(job.rerun_of.public_id) if job.rerun_of_id and job.rerun_of else None,
        **(licence.recipe(job=job) if (licence := licence_checks.checker(job.org_id, job.character)) else {}),
    }


def stop_rest(job: GenerationJob, reason: str) -> int:
    """With the job locked: cancel every image not yet made, for ``reason`` (they are refunded when
    the pack settles). Returns how many were stopped."""
    images = list(job.images.select_for_update(of=("self",)).filter(status__in=ACTIVE).select_related("call", "hold"))
    for image in images:
        image_finish(job, image, JobStatus.CANCELLED, reason)
        if image.call:
            gateway.call_cancel(image.call, reason=reason)
    return len(images)


def _settle(image_id: int, call: ProviderCall, status: str, error: str) -> None:
    with transaction.atomic():
        job, image = locked(image_id)
        if image.status in ACTIVE and image.call_id == call.pk:
            image_finish(job, image, status, error)
            job_refresh(job)


def image_finish(job: GenerationJob, image: GenerationImage, status: str, error: str = "") -> None:
    image.status, image.error, image.finished_at = status, error, timezone.now()
    image.save(update_fields=["status", "error", "finished_at", "asset"])
    if image.hold is not None:  # a retried image pays for itself
        engine.hold_settle(image.hold, charge=image.hold.amount if status == JobStatus.SUCCEEDED else 0, reason=error)
    if status == JobStatus.FAILED:
        track(
            "generation_failed",
            org=job.org,
            user=job.created_by,
            influencer_id=str(job.character.public_id) if job.character else None,
            job_id=str(job.public_id),
            image_index=image.position,
            error_type=_error_type(error),
            retry_count=image.attempts - 1,
        )


def _error_type(error: str) -> str:
    lowered = error.lower()
    for needle, kind in (
        ("safety", "safety_checker"),
        ("refused", "prompt_refused"),
        ("timed out", "timeout"),
        ("deadline", "timeout"),
        ("usable image", "bad_output"),
        ("deleted", "deleted"),
    ):
        if needle in lowered:
            return kind
    return "provider"


def job_refresh(job: GenerationJob) -> None:
    """With the job locked: its status from its images, and its hold settled once none is active."""
    counts = dict.fromkeys(JobStatus.values, 0)
    paid_by_job = 0
    for status, own_hold in job.images.values_list("status", "hold_id"):
        counts[status] += 1
        if status == JobStatus.SUCCEEDED and own_hold is None:
            paid_by_job += 1
    active = counts[JobStatus.QUEUED] + counts[JobStatus.RUNNING]
    if active:
        if job.status not in ACTIVE:
            job.status, job.finished_at = JobStatus.RUNNING, None
            job.save(update_fields=["status", "finished_at", "updated_at"])
        return
    was_active = job.status in ACTIVE
    if counts[JobStatus.SUCCEEDED]:
        status, error = JobStatus.SUCCEEDED, ""
    elif counts[JobStatus.CANCELLED] == job.count:
        status, error = JobStatus.CANCELLED, "Cancelled before any image was made."
    else:
        first = job.images.exclude(error="").values_list("error", flat=True).first() or ""
        status, error = JobStatus.FAILED, f"None of the {job.count} images came back. {first}".strip()
    job.status, job.error = status, error
    if was_active:
        job.finished_at = timezone.now()
        engine.job_ended(job)
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if job.settled_at is None:
        job.settled_at = timezone.now()
        job.save(update_fields=["settled_at"])
        job_id = job.pk
        transaction.on_commit(lambda: followups.pack_settled(job_id), robust=True)
        if job.hold:
            engine.hold_settle(
                job.hold, charge=job.price_per_image * paid_by_job, reason=error or "No image was delivered."
            )
        track(
            "generation_pack_completed",
            org=job.org,
            user=job.created_by,
            influencer_id=str(job.character.public_id) if job.character else None,
            job_id=str(job.public_id),
            image_count=counts[JobStatus.SUCCEEDED],
            failed=counts[JobStatus.FAILED],
            cancelled=counts[JobStatus.CANCELLED],
            total_duration_ms=_ms(job.created_at),
            mode=job.mode,
        )
