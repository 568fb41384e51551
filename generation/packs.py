"""Image packs (PRODUCT.md §3): start a pack for a character, settle its images as the provider
finishes them, retry one image, cancel the rest, re-run a recipe, make variations.

Starting is one transaction: the ``GenerationJob`` with its recipe and mode, one credit hold for
all its images (refused with the exact numbers when the org can't cover them), and per image a
``GenerationImage`` with its prompt, seed and first provider call, submitted after commit.

An image is one call, or a short chain: ``describe`` (the vision model writes its prompt from a
library image) → ``generate`` → ``tryon`` (the pack's clothing image). The gateway calls
``image_on_call`` as calls start and finish; a finished image is copied into the library with its
recipe, then scored against the character in the worker (``generation.tasks.image_score``).

When the last image of a pack has settled, the pack's hold is settled once: the delivered images
are charged, the rest released. A retried image pays with a hold of its own. Locks: the job, then
its image, then (in ``billing``) the hold; a character being deleted is locked before its jobs.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_from_file
from billing.prices import operation_credits
from billing.selectors import credit_summary
from billing.services import InsufficientCredits, hold_capture, hold_release, hold_reserve
from characters.models import Character
from characters.services import nsfw_permitted
from core.analytics import track
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import presets, prompt_writer, prompts, routing, safety
from generation.models import GenerationImage, GenerationJob
from providers import gateway, registry
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

log = logging.getLogger(__name__)

HANDLER = "generation.packs.image_on_call"
# A face that scores under this (0–100) is marked "low likeness": past dlib's same-person distance.
IDENTITY_THRESHOLD = 50
MAX_BATCH = 50


@dataclass
class PackRecipe:
    """What a person asked for. Keys are ``generation.presets`` keys."""

    scene: str = presets.DEFAULT_SCENE
    environment: str = presets.DEFAULT_ENVIRONMENT
    outfit: str = presets.KEEP_OUTFIT
    clothing: Asset | None = None
    aspect_ratio: str = presets.DEFAULT_ASPECT
    quality: str = presets.DEFAULT_QUALITY
    count: int = presets.DEFAULT_COUNT
    seed: int | None = None
    nsfw: bool = False
    prompt_text: str = ""
    prompts: list[str] = field(default_factory=list)  # per image; blank entries use the built prompt


def price_per_image(quality: str, *, clothing: bool = False, describe: bool = False) -> int:
    """Credits for one image: the quality's price, plus a clothing change and a written prompt."""
    credits = operation_credits(presets.QUALITIES_BY_KEY[quality].operation)
    if clothing:
        credits += operation_credits("clothing_change")
    if describe:
        credits += operation_credits("prompt_generation")
    return credits


def recipe_problems(
    character: Character, recipe: PackRecipe, *, batch: bool = False, counts=presets.COUNTS
) -> dict[str, str]:
    """What's wrong with a recipe, by field, in plain words; {} if nothing. ``counts``: the pack
    sizes allowed (the Studio's 1, 5 or 10; variations ask for their own)."""
    problems = {}
    if not batch and recipe.count not in counts:
        problems["count"] = "Choose 1, 5 or 10 images."
    if not batch and recipe.scene not in presets.SCENES_BY_KEY:
        problems["scene"] = "Choose one of the eight scenes."
    if not batch and recipe.environment not in presets.ENVIRONMENTS_BY_KEY:
        problems["environment"] = "Choose one of the seven environments."
    if recipe.aspect_ratio not in presets.ASPECTS_BY_KEY:
        problems["aspect_ratio"] = "Choose 1:1, 9:16, 16:9, 2:3 or 4:3."
    if recipe.quality not in presets.QUALITIES_BY_KEY:
        problems["quality"] = "Choose draft or HQ."
    if recipe.outfit not in (presets.KEEP_OUTFIT, presets.CLOTHING, *presets.OUTFIT_KEYS):
        problems["outfit"] = "Choose one of the twenty outfits, keep the default, or upload a clothing image."
    elif recipe.outfit == presets.CLOTHING and recipe.clothing is None:
        problems["clothing"] = "Upload a photo of the clothing, or pick an outfit instead."
    if recipe.clothing is not None and (
        recipe.clothing.org_id != character.org_id or recipe.clothing.kind != Asset.Kind.IMAGE
    ):
        problems["clothing"] = "The clothing must be an image in this organisation's library."
    if recipe.seed is not None and not 0 <= recipe.seed <= presets.MAX_SEED:
        problems["seed"] = f"A seed is a whole number from 0 to {presets.MAX_SEED:,}."
    if recipe.nsfw and not nsfw_permitted(character):
        problems["nsfw"] = (
            f"Adult content isn't allowed for {character.name}. It needs the organisation's setting, the "
            "character's permission and a consent record that covers it."
        )
    if len(recipe.prompt_text) > prompts.MAX_PROMPT:
        problems["prompt_text"] = f"Keep the prompt to {prompts.MAX_PROMPT:,} characters."
    return problems


def _seeds(first: int | None, count: int) -> list[int]:
    if first is None:
        return [secrets.randbelow(presets.MAX_SEED) for _ in range(count)]
    return [(first + n) % (presets.MAX_SEED + 1) for n in range(count)]


def _refuse_credits(exc: InsufficientCredits, *, count: int, per_image: int, suggest: bool = True) -> DomainError:
    """The exact numbers, and (``suggest``: a Studio pack) which pack size would fit."""
    fits = max((c for c in presets.COUNTS if c * per_image <= exc.available and c < count), default=0) if suggest else 0
    text = (
        f"{count} image{'s' if count != 1 else ''} need{'s' if count == 1 else ''} {exc.needed:,} credits and you "
        f"have {exc.available:,} available."
    )
    if fits:
        text += f" {fits} image{'s' if fits != 1 else ''} ({fits * per_image:,} credits) would fit, or add credits."
    else:
        text += " Add credits on the Billing page to generate."
    error = DomainError(text, field="count" if suggest else None)
    error.needed, error.available = exc.needed, exc.available  # type: ignore[attr-defined]
    return error


# --- Starting -------------------------------------------------------------------------------------


def pack_start(
    *,
    character: Character,
    user: User | None,
    recipe: PackRecipe,
    key: str = "",
    origin: str = GenerationJob.Origin.STUDIO,
    source_job: GenerationJob | None = None,
    seeds: list[int] | None = None,
    counts=presets.COUNTS,
) -> GenerationJob:
    """Start a pack of ``recipe.count`` images of ``character``. ``key`` (one per form) makes a
    double click start one pack. ``seeds``: exact seeds per image (a re-run). Raises ``DomainError``
    (the recipe's first problem, not enough credits, a prompt naming a minor)."""
    if key and (existing := _job_by_key(character, key)):
        return existing
    if seeds is not None:
        recipe.count = len(seeds)
    if problems := recipe_problems(character, recipe, counts=counts):
        name, message = next(iter(problems.items()))
        raise DomainError(message, field=name)
    route = routing.route(character)
    safety.prompt_screen(
        [recipe.prompt_text, *recipe.prompts], org=character.org, user=user, where=origin, field="prompt_text"
    )
    built = prompts.build_prompt(
        character,
        scene=recipe.scene,
        environment=recipe.environment,
        outfit=recipe.outfit,
        extra=recipe.prompt_text,
        trigger=route.mode == GenerationJob.Mode.HD,
    )
    written = [p for p in recipe.prompts if p.strip()]
    specs = []
    for n, seed in enumerate(seeds or _seeds(recipe.seed, recipe.count)):
        prompt = built
        if n < len(recipe.prompts) and recipe.prompts[n].strip():
            prompt = recipe.prompts[n]
        elif written and n >= len(recipe.prompts):
            prompt = written[n % len(written)]
        specs.append(ImageSpec(prompt=prompt, seed=seed))
    return _create(character, user, recipe, route, specs, key=key, origin=origin, source_job=source_job)


@dataclass
class ImageSpec:
    prompt: str
    seed: int
    reference: Asset | None = None


def batch_start(
    *,
    character: Character,
    user: User | None,
    references: list[Asset],
    recipe: PackRecipe,
    use_prompt_writer: bool,
    key: str = "",
) -> GenerationJob:
    """One image of ``character`` per library image in ``references`` (the library's batch sidebar).

    With the prompt writer, the vision model describes each reference as a prompt for the character;
    without it (HD mode only), each image is repainted from its reference with the character's LoRA.
    """
    if key and (existing := _job_by_key(character, key)):
        return existing
    if not references:
        raise DomainError("Select at least one image in the library.")
    if len(references) > MAX_BATCH:
        raise DomainError(f"A batch takes at most {MAX_BATCH} images; you selected {len(references)}.")
    if any(ref.org_id != character.org_id or ref.kind != Asset.Kind.IMAGE for ref in references):
        raise DomainError("Only images from this library can be used as references.")
    recipe.count = len(references)
    if problems := recipe_problems(character, recipe, batch=True):
        name, message = next(iter(problems.items()))
        raise DomainError(message, field=name)
    route = routing.route(character, from_reference=not use_prompt_writer)
    if route.mode == GenerationJob.Mode.FACE_SWAP and not use_prompt_writer:
        raise DomainError(
            f"{character.name} is in face-swap mode, which can't repaint a reference directly. Switch the prompt "
            "writer on: it describes each image as a prompt.",
            field="use_prompt_writer",
        )
    base = prompts.build_prompt(
        character, scene="", environment="", outfit=recipe.outfit, trigger=route.mode == GenerationJob.Mode.HD
    )
    seeds = _seeds(recipe.seed, len(references))
    specs = [ImageSpec(prompt=base, seed=seed, reference=ref) for ref, seed in zip(references, seeds, strict=True)]
    return _create(
        character,
        user,
        recipe,
        route,
        specs,
        key=key,
        origin=GenerationJob.Origin.BATCH,
        use_prompt_writer=use_prompt_writer,
    )


def _job_by_key(character: Character, key: str) -> GenerationJob | None:
    job = GenerationJob.objects.for_org(character.org).filter(idempotency_key=key).first()
    if job is not None and job.character_id != character.pk:
        raise DomainError("That request was already used for another character. Reload the page and try again.")
    return job


def _create(
    character: Character,
    user: User | None,
    recipe: PackRecipe,
    route: routing.Route,
    specs: list[ImageSpec],
    *,
    key: str,
    origin: str,
    source_job: GenerationJob | None = None,
    use_prompt_writer: bool = False,
) -> GenerationJob:
    per_image = price_per_image(recipe.quality, clothing=recipe.clothing is not None, describe=use_prompt_writer)
    width, height = presets.size(recipe.aspect_ratio, recipe.quality)
    try:
        with transaction.atomic():
            job = GenerationJob.objects.create(
                org=character.org,
                character=character,
                character_name=character.name,
                mode=route.mode,
                origin=origin,
                scene=recipe.scene,
                environment=recipe.environment,
                outfit=recipe.outfit if recipe.outfit != presets.CLOTHING or recipe.clothing else "",
                clothing=recipe.clothing,
                aspect_ratio=recipe.aspect_ratio,
                quality=recipe.quality,
                count=len(specs),
                seed=specs[0].seed if specs else None,
                nsfw=recipe.nsfw,
                prompt_text=recipe.prompt_text,
                prompts=list(recipe.prompts),
                use_prompt_writer=use_prompt_writer,
                operation=route.operation,
                width=width,
                height=height,
                steps=presets.QUALITIES_BY_KEY[recipe.quality].steps,
                price_per_image=per_image,
                credits=per_image * len(specs),
                idempotency_key=key or None,
                source_job=source_job,
                created_by=user,
            )
            try:
                job.hold = hold_reserve(
                    org=character.org,
                    amount=job.credits,
                    key=f"pack:{job.public_id}",
                    operation=presets.QUALITIES_BY_KEY[recipe.quality].operation,
                    description=f"{len(specs)} image{'s' if len(specs) != 1 else ''} of “{character.name}”",
                    subject=job,
                    user=user,
                )
            except InsufficientCredits as exc:
                raise _refuse_credits(
                    exc, count=len(specs), per_image=per_image, suggest=origin != GenerationJob.Origin.BATCH
                ) from None
            job.save(update_fields=["hold", "updated_at"])
            for position, spec in enumerate(specs):
                image = GenerationImage.objects.create(
                    job=job,
                    position=position,
                    prompt=spec.prompt,
                    seed=spec.seed,
                    reference=spec.reference,
                    stage=GenerationImage.Stage.DESCRIBE if use_prompt_writer else GenerationImage.Stage.GENERATE,
                )
                image.call = _first_call(job, image, character)
                image.save(update_fields=["call"])
    except IntegrityError:
        if key and (existing := _job_by_key(character, key)):
            return existing
        raise
    track(
        "generation_started",
        org=character.org,
        user=user,
        influencer_id=str(character.public_id),
        job_id=str(job.public_id),
        scene=job.scene,
        environment=job.environment,
        outfit=job.outfit or "default",
        outfit_changed=bool(job.outfit),
        count=job.count,
        ratio=job.aspect_ratio,
        quality=job.quality,
        mode=job.mode,
        origin=job.origin,
        nsfw=job.nsfw,
    )
    return job


def _first_call(job: GenerationJob, image: GenerationImage, character: Character) -> ProviderCall:
    if image.stage == GenerationImage.Stage.DESCRIBE:
        marker = {"$asset": str(image.reference.public_id), "variant": "preview"}
        request = prompt_writer.describe_request(character=character, reference_marker=marker, nsfw=job.nsfw)
        return gateway.call_create(org=job.org, operation="chat", input=request, handler=HANDLER)
    return gateway.call_create(
        org=job.org, operation=job.operation, input=routing.generate_input(job, image, character), handler=HANDLER
    )


# --- Settling (called by the gateway) ------------------------------------------------------------


def image_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    image = GenerationImage.objects.filter(call_id=call.pk).only("pk", "job_id").first()
    if image is None:
        log.info("provider call %s has no generation image (a later step replaced it, or it was deleted)", call.pk)
        return
    if event == "running":
        now = timezone.now()
        GenerationImage.objects.filter(pk=image.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now
        )
        GenerationJob.objects.filter(pk=image.job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=now
        )
        return
    if call.status == ProviderCall.Status.SUCCEEDED:
        _advance(image.pk, call, last_attempt=last_attempt)
    elif call.status == ProviderCall.Status.CANCELLED:
        _settle(image.pk, call, JobStatus.CANCELLED, call.error or "Cancelled.")
    else:
        _settle(image.pk, call, JobStatus.FAILED, call.error or "The provider failed without saying why.")


def _locked(image_id: int) -> tuple[GenerationJob, GenerationImage]:
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
        job, image = _locked(image_id)
        if image.status not in ACTIVE or image.call_id != call.pk:
            return  # settled already (cancelled meanwhile, or a repeated task)
        try:
            if image.stage == GenerationImage.Stage.DESCRIBE:
                _described(job, image, call)
            elif image.stage == GenerationImage.Stage.GENERATE and job.clothing_id:
                _generated_for_tryon(job, image, call)
            else:
                _deliver(job, image, call)
        except ProviderError as exc:
            if exc.transient and not last_attempt:
                raise
            _image_finish(job, image, JobStatus.FAILED, exc.message)
        except safety.MinorsRefused as exc:
            _image_finish(job, image, JobStatus.FAILED, f"The written prompt was refused. {exc.message}")
        except media.MediaError as exc:
            _image_finish(job, image, JobStatus.FAILED, f"The provider's result wasn't a usable image: {exc}")
        _job_refresh(job)


def _described(job: GenerationJob, image: GenerationImage, call: ProviderCall) -> None:
    character = _character(job)
    written = prompt_writer.parse_prompts(str((call.output or {}).get("text") or ""), expected=1)[0]
    safety.prompt_screen(written, org=job.org, user=job.created_by, where="describe")
    image.prompt = written
    image.stage = GenerationImage.Stage.GENERATE
    image.call = gateway.call_create(
        org=job.org, operation=job.operation, input=routing.generate_input(job, image, character), handler=HANDLER
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
    with gateway.output_download(call, gateway.output_image_url(call.output)) as path, path.open("rb") as fh:
        storage.delete(key)
        key = storage.storage().save(key, File(fh))
    image.intermediate_key = key
    image.stage = GenerationImage.Stage.TRYON
    image.call = gateway.call_create(
        org=job.org, operation="tryon", input=routing.tryon_input(job, image), handler=HANDLER
    )
    image.save(update_fields=["intermediate_key", "stage", "call"])


def _deliver(job: GenerationJob, image: GenerationImage, call: ProviderCall) -> None:
    """Copy the finished image into the library with its recipe, once."""
    character = job.character
    name = job.character_name
    title = (
        f"{name} · {presets.SCENES_BY_KEY[job.scene].label if job.scene else 'from a reference'} {image.position + 1}"
    )
    parents = [a for a in (image.reference, job.clothing) if a is not None]
    with gateway.output_download(call, gateway.output_image_url(call.output)) as path:
        asset = asset_create_from_file(
            org=job.org,
            path=path,
            filename=f"{slugify(name) or 'character'}-{slugify(PurePath(title).stem)}.jpg",
            title=title,
            source=Asset.Source.GENERATED,
            created_by=job.created_by,
            parents=parents,
            metadata={"recipe": image_recipe(job, image, call)},
            nsfw=job.nsfw,
        )
    Asset.objects.filter(pk=asset.pk).update(character=character)
    asset.character = character
    if image.intermediate_key:
        scratch = image.intermediate_key
        transaction.on_commit(lambda: storage.delete(scratch))
    image.asset = asset
    _image_finish(job, image, JobStatus.SUCCEEDED)
    image_id = image.pk
    transaction.on_commit(lambda: _score_later(image_id))
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


def _score_later(image_id: int) -> None:
    from generation import tasks

    tasks.image_score.apply_async(args=[image_id], queue="generation")


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
        "outfit": job.outfit or "default",
        "outfit_label": presets.outfit_label(job.outfit),
        "clothing": str(job.clothing.public_id) if job.clothing else None,
        "reference": str(image.reference.public_id) if image.reference else None,
        "mode": job.mode,
        "model": "Labelled placeholder (demo provider, not AI)" if demo else job.operation,
        "model_label": endpoint.label,
        "endpoint": call.endpoint_id if call else endpoint.endpoint_id,
        "provider": call.provider if call else endpoint.provider,
        "lora": job.character.lora_key if job.mode == GenerationJob.Mode.HD and job.character else "",
        "trigger_word": job.character.trigger_word if job.mode == GenerationJob.Mode.HD and job.character else "",
        "seed": image.seed,
        "width": job.width,
        "height": job.height,
        "aspect_ratio": job.aspect_ratio,
        "quality": job.quality,
        "steps": job.steps,
        "nsfw": job.nsfw,
        "cost": job.price_per_image,
    }


def _settle(image_id: int, call: ProviderCall, status: str, error: str) -> None:
    with transaction.atomic():
        job, image = _locked(image_id)
        if image.status in ACTIVE and image.call_id == call.pk:
            _image_finish(job, image, status, error)
            _job_refresh(job)


def _image_finish(job: GenerationJob, image: GenerationImage, status: str, error: str = "") -> None:
    image.status, image.error, image.finished_at = status, error, timezone.now()
    image.save(update_fields=["status", "error", "finished_at", "asset"])
    if image.hold_id:  # a retried image pays for itself
        if status == JobStatus.SUCCEEDED:
            hold_capture(hold=image.hold)
        else:
            hold_release(hold=image.hold, reason=error)
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


def _job_refresh(job: GenerationJob) -> None:
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
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if job.settled_at is None:
        job.settled_at = timezone.now()
        job.save(update_fields=["settled_at"])
        if job.hold:
            charged = job.price_per_image * paid_by_job
            if charged:
                hold_capture(hold=job.hold, amount=charged)
            else:
                hold_release(hold=job.hold, reason=error or "No image was delivered.")
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


# --- What people do ----------------------------------------------------------------------------------


@transaction.atomic
def pack_cancel(*, job: GenerationJob, user: User | None) -> int:
    """Stop every image not yet made; they are refunded, the delivered ones kept. Returns how many
    were stopped."""
    locked = (
        GenerationJob.objects.select_for_update(of=("self",))
        .select_related("org", "character", "hold", "created_by")
        .get(pk=job.pk)
    )
    if locked.status not in ACTIVE:
        raise DomainError("This pack has already finished.")
    stopped = _cancel_images(locked, f"Cancelled by {user.display_name if user else 'support'}.")
    _job_refresh(locked)
    job.status = locked.status
    return stopped


def _cancel_images(job: GenerationJob, reason: str) -> int:
    images = list(job.images.select_for_update(of=("self",)).filter(status__in=ACTIVE).select_related("call", "hold"))
    for image in images:
        _image_finish(job, image, JobStatus.CANCELLED, reason)
        if image.call:
            gateway.call_cancel(image.call, reason=reason)
    return len(images)


def packs_cancel_for_character(character: Character, reason: str) -> None:
    """Cancel a character's running packs (it is being deleted; the caller holds its lock)."""
    for job in (
        GenerationJob.objects.select_for_update(of=("self",))
        .select_related("org", "character", "hold", "created_by")
        .filter(character=character, status__in=ACTIVE)
    ):
        _cancel_images(job, reason)
        _job_refresh(job)


def image_retry(*, image: GenerationImage, user: User | None) -> GenerationImage:
    """Make a failed or cancelled image again, with the same prompt and seed and a hold of its own."""
    with transaction.atomic():
        job, locked = _locked(image.pk)
        if locked.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise DomainError("Only a failed or cancelled image can be tried again.")
        character = _character_or_refuse(job)
        if job.operation != routing.route(character, from_reference=job.operation == "image_lora_i2i").operation:
            raise DomainError(
                f"{character.name} has changed mode since this pack ({job.get_mode_display()}); re-run the "
                "recipe to make it in the new mode."
            )
        try:
            locked.hold = hold_reserve(
                org=job.org,
                amount=job.price_per_image,
                key=f"pack-image:{job.public_id}:{locked.position}:{locked.attempts + 1}",
                operation=presets.QUALITIES_BY_KEY[job.quality].operation,
                description=f"Retry of image {locked.position + 1} of “{job.character_name}”",
                subject=job,
                user=user,
            )
        except InsufficientCredits as exc:
            raise DomainError(
                f"Trying again needs {exc.needed:,} credits and you have {exc.available:,} available."
            ) from None
        locked.attempts += 1
        locked.status, locked.error, locked.finished_at, locked.started_at = JobStatus.QUEUED, "", None, None
        locked.asset = None
        locked.stage = GenerationImage.Stage.DESCRIBE if job.use_prompt_writer else GenerationImage.Stage.GENERATE
        locked.intermediate_key = ""
        locked.call = _first_call(job, locked, character)
        locked.save()
        _job_refresh(job)
    return locked


def _character_or_refuse(job: GenerationJob) -> Character:
    if job.character is None:
        raise DomainError("The character of this pack was deleted, so it can't make images any more.")
    return job.character


def pack_rerun(*, job: GenerationJob, user: User | None, key: str = "") -> GenerationJob:
    """The same recipe again: same prompts, seeds and settings, in the character's current mode."""
    character = _character_or_refuse(job)
    if job.origin == GenerationJob.Origin.BATCH:
        references = [i.reference for i in job.images.select_related("reference") if i.reference]
        if len(references) != job.count:
            raise DomainError("Some of this batch's library images were deleted, so it can't run again as it was.")
        return batch_start(
            character=character,
            user=user,
            references=references,
            recipe=_recipe_of(job),
            use_prompt_writer=job.use_prompt_writer,
            key=key,
        )
    images = list(job.images.order_by("position"))
    recipe_ = _recipe_of(job)
    recipe_.prompts = [i.prompt for i in images]
    return pack_start(
        character=character,
        user=user,
        recipe=recipe_,
        key=key,
        origin=GenerationJob.Origin.RERUN,
        source_job=job,
        seeds=[i.seed for i in images],
    )


def _recipe_of(job: GenerationJob) -> PackRecipe:
    return PackRecipe(
        scene=job.scene,
        environment=job.environment,
        outfit=presets.CLOTHING if job.clothing_id else job.outfit,
        clothing=job.clothing,
        aspect_ratio=job.aspect_ratio,
        quality=job.quality,
        count=job.count,
        seed=job.seed,
        nsfw=job.nsfw,
        prompt_text=job.prompt_text,
        prompts=list(job.prompts),
    )


def image_rerun(*, image: GenerationImage, user: User | None, variations: int = 0, key: str = "") -> GenerationJob:
    """One image again with its exact recipe (``variations=0``), or ``variations`` new ones with
    its prompt and settings and new seeds."""
    job = image.job
    character = _character_or_refuse(job)
    recipe_ = _recipe_of(job)
    recipe_.count = variations or 1
    recipe_.prompts = [image.prompt] * recipe_.count
    recipe_.seed = None  # variations: new seeds; a re-run passes the image's own below
    return pack_start(
        character=character,
        user=user,
        recipe=recipe_,
        key=key,
        origin=GenerationJob.Origin.VARIATIONS if variations else GenerationJob.Origin.RERUN,
        source_job=job,
        seeds=None if variations else [image.seed],
        counts=range(1, max(presets.COUNTS) + 1),
    )


# --- Reading ------------------------------------------------------------------------------------------


@dataclass
class PackProgress:
    total: int
    done: int
    failed: int
    cancelled: int
    active: int

    @property
    def settled(self) -> int:
        return self.done + self.failed + self.cancelled

    @property
    def percent(self) -> int:
        return round(100 * self.settled / self.total) if self.total else 100


def progress(images) -> PackProgress:
    statuses = [i.status for i in images]
    return PackProgress(
        total=len(statuses),
        done=statuses.count(JobStatus.SUCCEEDED),
        failed=statuses.count(JobStatus.FAILED),
        cancelled=statuses.count(JobStatus.CANCELLED),
        active=sum(1 for s in statuses if s in ACTIVE),
    )


def cost_preview(org, *, quality: str, count: int, clothing: bool, describe: bool = False) -> dict:
    """The price of a pack and whether the org can pay it now, for the Studio's live preview."""
    per_image = price_per_image(quality, clothing=clothing, describe=describe)
    total = per_image * count
    available = credit_summary(org).available
    return {"per_image": per_image, "total": total, "available": available, "short_by": max(total - available, 0)}


def pack_url(job: GenerationJob) -> str:
    return reverse("generation:pack", args=[job.org.slug, job.public_id])
