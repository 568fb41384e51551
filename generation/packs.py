"""Image packs (PRODUCT.md §3): start a pack for a character, settle its images as the provider
finishes them, retry one image, cancel the rest, re-run a recipe, make variations.

Starting is one transaction on the job engine (``jobs.engine.job_start``): the ``GenerationJob``
with its recipe and mode, one credit hold for all its images (refused with the exact numbers when
the org can't cover them), and per image a ``GenerationImage`` with its prompt, seed and first
provider call, submitted after commit. How images settle as the provider makes them is in
``generation.pack_images``. Locks: the job, then its image, then (in ``billing``) the hold; a
character being deleted is locked before its jobs.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from accounts.models import User
from analytics.services import track
from assets.models import Asset
from billing.selectors import credit_summary
from billing.services import InsufficientCredits, hold_reserve
from characters.models import Character
from characters.services import character_words_screen
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import licence_checks, pack_images, presets, prompts, routing
from generation.models import GenerationImage, GenerationJob
from generation.pack_recipe import PackRecipe, price_per_image, recipe_problems
from jobs import engine
from orgs.models import Organization
from safety.services import text_screen

log = logging.getLogger(__name__)

# A face that scores under this (0–100) is marked "low likeness": past dlib's same-person distance.
IDENTITY_THRESHOLD = 50
MAX_BATCH = 50


def _seeds(first: int | None, count: int) -> list[int]:
    if first is None:
        return [secrets.randbelow(presets.MAX_SEED) for _ in range(count)]
    return [(first + n) % (presets.MAX_SEED + 1) for n in range(count)]


def _refuse_credits(exc: InsufficientCredits, *, count: int, per_image: int, suggest: bool = True) -> DomainError:
    """The exact numbers, and (``suggest``: a Studio pack) which pack size would fit."""
    fits = max((c for c in presets.COUNTS if c * per_image <= exc.available and c < count), default=0) if suggest else 0
    text = exc.refusal(f"{count} image{'s' if count != 1 else ''}", plural=count != 1)
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
    prepaid: bool = False,
    rerun_of: Asset | None = None,
    lora_key: str = "",
    org: Organization | None = None,
    use: str = "",
) -> GenerationJob:
    """Start a pack of ``recipe.count`` images of ``character``. ``key`` (one per form) makes a
    double click start one pack. ``seeds``: exact seeds per image (a re-run). Raises ``DomainError``
    (the recipe's first problem, not enough credits, a prompt naming a minor, no licence for it).

    ``prepaid``: its images are paid from a hold another job already has (a keepers run), so the
    pack holds nothing itself. ``rerun_of``: the library image it makes again, from its lineage
    graph; ``lora_key``: a LoRA version of the character other than the current one. ``org``: the
    organisation that pays and receives the images when it isn't the character's own — a licensee
    of the character's likeness, for ``use`` (``generation.licence_checks``)."""
    payer = org or character.org
    if key and (existing := _job_by_key(character, key, org=payer)):
        return existing
    if seeds is not None:
        recipe.count = len(seeds)
    if payer.pk != character.org_id:
        licence = licence_checks.checker(payer.pk, character)
        refusal = (
            licence.pack_refusal(org=payer, character=character, nsfw=recipe.nsfw, count=recipe.count, use=use)
            if licence
            else "That character isn't in this organisation."
        )
        if refusal:
            raise DomainError(refusal, field="licence")
    if problems := recipe_problems(character, recipe, counts=counts):
        name, message = next(iter(problems.items()))
        raise DomainError(message, field=name)
    route = routing.route(character, quality=recipe.quality)
    text_screen(
        [recipe.prompt_text, *recipe.prompts],
        org=payer,
        user=user,
        where=origin,
        field="prompt_text",
        nsfw=recipe.nsfw,
    )
    character_words_screen(character=character, user=user, where=origin, nsfw=recipe.nsfw)
    built = prompts.build_prompt(
        character,
        scene=recipe.scene,
        environment=recipe.environment,
        outfit=recipe.outfit,
        extra=recipe.prompt_text,
        trigger=route.mode == GenerationJob.Mode.HD,
        style=recipe.style or None,
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
    # The prompts as sent: the character's words, the presets and the person's, together.
    text_screen([s.prompt for s in specs], org=payer, user=user, where=origin, nsfw=recipe.nsfw)
    return _create(
        character,
        user,
        recipe,
        route,
        specs,
        key=key,
        origin=origin,
        source_job=source_job,
        prepaid=prepaid,
        rerun_of=rerun_of,
        lora_key=lora_key,
        org=payer,
        use=use,
    )


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
    route = routing.route(character, quality=recipe.quality, from_reference=not use_prompt_writer)
    if route.mode == GenerationJob.Mode.FACE_SWAP and not use_prompt_writer:
        raise DomainError(
            f"{character.name} is in face-swap mode, which can't repaint a reference directly. Switch the prompt "
            "writer on: it describes each image as a prompt.",
            field="use_prompt_writer",
        )
    character_words_screen(character=character, user=user, where=GenerationJob.Origin.BATCH, nsfw=recipe.nsfw)
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


def _job_by_key(character: Character, key: str, *, org: Organization | None = None) -> GenerationJob | None:
    job = engine.job_by_key(GenerationJob, org or character.org, key)
    if job is not None and job.character_id != character.pk:
        raise _key_reused(character)
    return job


def _key_reused(character: Character) -> DomainError:
    return DomainError("That request was already used for another character. Reload the page and try again.")


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
    prepaid: bool = False,
    rerun_of: Asset | None = None,
    lora_key: str = "",
    org: Organization | None = None,
    use: str = "",
) -> GenerationJob:
    payer = org or character.org
    licence = licence_checks.checker(payer.pk, character)
    per_image = price_per_image(recipe.quality, clothing=recipe.clothing is not None, describe=use_prompt_writer)
    width, height = presets.size(recipe.aspect_ratio, recipe.quality)

    def build(job: GenerationJob) -> None:
        for position, spec in enumerate(specs):
            image = GenerationImage.objects.create(
                job=job,
                position=position,
                prompt=spec.prompt,
                seed=spec.seed,
                reference=spec.reference,
                stage=GenerationImage.Stage.DESCRIBE if use_prompt_writer else GenerationImage.Stage.GENERATE,
            )
            image.call = pack_images.first_call(job, image, character)
            image.save(update_fields=["call"])
        if licence:
            licence.pack_started(job=job, use=use)

    job, created = engine.job_start_created(
        GenerationJob,
        org=payer,
        user=user,
        key=key,
        credits=0 if prepaid else per_image * len(specs),
        operation=route.operation,
        hold_operation=presets.QUALITIES_BY_KEY[recipe.quality].operation,
        hold_description=f"{len(specs)} image{'s' if len(specs) != 1 else ''} of “{character.name}”",
        refusal=lambda exc: _refuse_credits(
            exc, count=len(specs), per_image=per_image, suggest=origin != GenerationJob.Origin.BATCH
        ),
        build=build,
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
        style=recipe.style_source,
        style_recipe=recipe.style,
        width=width,
        height=height,
        steps=route.steps,
        price_per_image=per_image,
        style_loras=routing.style_loras(route.operation, scene=recipe.scene, nsfw=recipe.nsfw),
        source_job=source_job,
        rerun_of=rerun_of,
        lora_key=lora_key if route.mode == GenerationJob.Mode.HD else "",
    )
    if not created:
        if job.character_id != character.pk:
            raise _key_reused(character)
        return job
    for choice, value in (("scene_selected", job.scene), ("environment_selected", job.environment)):
        track(
            choice,
            org=payer,
            user=user,
            influencer_id=str(character.public_id),
            **{choice.split("_")[0]: value},
        )
    if job.outfit:
        track("outfit_changed", org=payer, user=user, influencer_id=str(character.public_id), outfit=job.outfit)
    track(
        "generation_started",
        org=payer,
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
        style=bool(job.style_recipe),
    )
    return job


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
    pack_images.job_refresh(locked)
    job.status = locked.status
    return stopped


def _cancel_images(job: GenerationJob, reason: str) -> int:
    return pack_images.stop_rest(job, reason)


def pack_stop(*, job: GenerationJob, reason: str) -> int:
    """Stop a running pack's images not yet made, for ``reason`` (a revoked licence); they are
    refunded, the delivered ones kept. Returns how many were stopped; 0 for a finished pack."""
    with transaction.atomic():
        locked = (
            GenerationJob.objects.select_for_update(of=("self",))
            .select_related("org", "character", "hold", "created_by")
            .get(pk=job.pk)
        )
        if locked.status not in ACTIVE:
            return 0
        stopped = _cancel_images(locked, reason)
        pack_images.job_refresh(locked)
        return stopped


def packs_cancel_for_character(character: Character, reason: str) -> None:
    """Cancel a character's running packs (it is being deleted; the caller holds its lock)."""
    for job in (
        GenerationJob.objects.select_for_update(of=("self",))
        .select_related("org", "character", "hold", "created_by")
        .filter(character=character, status__in=ACTIVE)
    ):
        _cancel_images(job, reason)
        pack_images.job_refresh(job)


def image_retry(*, image: GenerationImage, user: User | None) -> GenerationImage:
    """Make a failed or cancelled image again, with the same prompt and seed and a hold of its own."""
    with transaction.atomic():
        job, locked = pack_images.locked(image.pk)
        if locked.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
            raise DomainError("Only a failed or cancelled image can be tried again.")
        character = _character_or_refuse(job)
        if character.mode != job.mode:
            raise DomainError(
                f"{character.name} has changed mode since this pack ({job.get_mode_display()}); re-run the "
                "recipe to make it in the new mode."
            )
        if not routing.still_runs(character, job):
            raise DomainError(
                f"{character.name}'s face model was trained again since this pack; re-run the recipe to make it "
                "with the new one."
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
            raise DomainError(exc.refusal("Trying again")) from None
        locked.attempts += 1
        locked.status, locked.error, locked.finished_at, locked.started_at = JobStatus.QUEUED, "", None, None
        locked.asset = None
        locked.stage = GenerationImage.Stage.DESCRIBE if job.use_prompt_writer else GenerationImage.Stage.GENERATE
        locked.intermediate_key = ""
        locked.call = pack_images.first_call(job, locked, character)
        locked.save()
        pack_images.job_refresh(job)
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
        org=job.org,
        use=_licensed_use(job),
    )


def _licensed_use(job: GenerationJob) -> str:
    """The use a licensed pack was made for (a re-run is for the same use); "" for an own character."""
    licence = licence_checks.checker(job.org_id, job.character)
    return licence.use_of(job=job) if licence else ""


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
        style_source=job.style,
        style=dict(job.style_recipe or {}),
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
        org=job.org,
        use=_licensed_use(job),
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
