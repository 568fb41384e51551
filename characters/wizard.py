"""The wizard's pipeline (PRODUCT.md §2 B; seeds 003 F7, F7a, F7b): four candidate base images →
the chosen one makes the character usable at once (face-swap mode) → a character sheet of eight
angles and expressions from the base image → a check that the sheet shows the base image's face →
LoRA training → HD mode, by itself.

Choosing a base image reserves the sheet and the training up front, so the pipeline can't stall
half-way for want of credits. If the organisation can't cover both, the character is still
usable in face-swap mode and ``hd_pipeline_start`` finishes the job later.
"""

from __future__ import annotations

import logging
import secrets
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from assets import storage
from assets.models import Asset
from billing.models import Hold
from billing.prices import operation_credits
from billing.services import InsufficientCredits, credits_require, hold_release, hold_reserve
from characters import attributes, identity, pipeline, services, tasks, training
from characters.models import Character, CharacterJob, CharacterJobItem, TrainingRun
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs import engine
from notifications.services import notify
from orgs.models import Organization

log = logging.getLogger(__name__)

CANDIDATES = 4
PORTRAIT = "head and shoulders portrait, looking at the camera, neutral background, soft natural light"
# The character sheet: angles, expressions and light, each from the base image's face (PuLID).
# The words before the first full stop name the shot (the demo provider labels its stand-ins with them).
SHEET_SHOTS = [
    ("Front, neutral", "Front view, neutral expression. Head and shoulders, looking straight at the camera"),
    ("3/4 left, smiling", "Three-quarter view turned left, smiling. Head and shoulders"),
    ("3/4 right", "Three-quarter view turned right. Head and shoulders, relaxed expression"),
    ("Profile", "Side profile. Head and shoulders, looking to the side"),
    ("Over the shoulder", "Looking back over the shoulder. Upper body, turned away from the camera"),
    ("Laughing", "Laughing. Head and shoulders, candid, natural joy"),
    ("Serious close-up", "Serious close-up. Face filling the frame, calm serious expression"),
    ("Outdoor daylight", "Outdoor daylight. Half-body, in a park in soft sunlight"),
]
# Sheet images to keep before training is worth it (with the base image, seven or more).
MIN_SHEET_KEPT = 6


def _seed() -> int:
    return secrets.randbelow(2**31)


def _outfit(character: Character) -> str:
    return attributes.words("default_outfit", character.default_outfit)


def candidate_prompt(character: Character) -> str:
    outfit = _outfit(character)
    return f"{attributes.describe(character)}{f', wearing {outfit}' if outfit else ''}, {PORTRAIT}"


def sheet_specs(character: Character) -> list[pipeline.ItemSpec]:
    assert character.base_image is not None  # sheet_start refuses a character without one
    outfit = _outfit(character)
    specs = []
    for label, shot in SHEET_SHOTS:
        prompt = f"{shot}. {attributes.describe(character)}" + (f", wearing {outfit}" if outfit else "")
        seed = _seed()
        specs.append(
            pipeline.ItemSpec(
                operation="image_pulid",
                label=label,
                prompt=prompt,
                seed=seed,
                input={
                    "prompt": prompt,
                    "reference_image_url": {"$asset": str(character.base_image.public_id), "variant": "preview"},
                    "image_size": "portrait_4_3",
                    "seed": seed,
                    "id_weight": 1.0,
                    "enable_safety_checker": True,
                },
            )
        )
    return specs


def _job_by_key(character: Character, key: str) -> CharacterJob | None:
    job = engine.job_by_key(CharacterJob, character.org, key)
    if job is not None and job.character_id != character.pk:
        raise DomainError("That request was already used for another character. Reload the page and try again.")
    return job


# --- Candidates ------------------------------------------------------------------------------------


def wizard_character_start(
    *, org: Organization, user: User | None, attributes: dict, key: str
) -> tuple[CharacterJob, bool]:
    """A wizard character from ``attributes`` and its four candidate faces, in one transaction: if
    the faces can't be paid for, no character is left behind. A repeated form (same ``key``) gets
    the first one's job back, and False. Raises ``DomainError`` / ``InsufficientCredits``."""
    if existing := engine.job_by_key(CharacterJob, org, key):
        return existing, False
    services.character_fields_screen(org=org, user=user, fields=attributes)  # kept even if the rest rolls back
    with transaction.atomic():
        character = services.character_create(org=org, user=user, origin=Character.Origin.WIZARD, **attributes)
        job = wizard_candidates_start(character=character, user=user, key=key or str(uuid.uuid4()))
        if job.character_id != character.pk:  # a double submit raced this one and won
            transaction.set_rollback(True)
            return job, False
    return job, True


def wizard_candidates_start(*, character: Character, user: User | None, key: str) -> CharacterJob:
    """Four candidate base images from the character's attributes (16 credits, each image paid
    for only if it arrives). Raises ``DomainError`` / ``InsufficientCredits``."""
    if key and (existing := _job_by_key(character, key)):
        return existing
    if character.origin != Character.Origin.WIZARD:
        raise DomainError("Base-image candidates are for characters made with the wizard.")
    if character.lora_status in (Character.LoraStatus.SHEET, Character.LoraStatus.TRAINING, Character.LoraStatus.READY):
        raise DomainError(
            f"{character.name}'s base image is chosen and its face model is made from it; it can't change now."
        )
    if character.jobs.filter(kind=CharacterJob.Kind.CANDIDATES, status__in=ACTIVE).exists():
        raise DomainError("Four candidates are already being made. They'll appear here in a moment.")
    services.character_words_screen(character=character, user=user, where="wizard")
    prompt = candidate_prompt(character)
    specs = []
    for n in range(CANDIDATES):
        seed = _seed()
        specs.append(
            pipeline.ItemSpec(
                operation="image_base",
                label=f"Candidate {n + 1}",
                prompt=prompt,
                seed=seed,
                input={
                    "prompt": prompt,
                    "image_size": "portrait_4_3",
                    "num_images": 1,
                    "seed": seed,
                    "num_inference_steps": 28,
                    "guidance_scale": 3.5,
                    "enable_safety_checker": True,
                    "output_format": "jpeg",
                },
            )
        )
    try:
        with transaction.atomic():
            return pipeline.job_create(
                character=character,
                kind=CharacterJob.Kind.CANDIDATES,
                user=user,
                specs=specs,
                operation="wizard_candidates",
                credits=operation_credits("wizard_candidates"),
                key=key,
                hold_description=f"Four base images for “{character.name}”",
            )
    except IntegrityError:
        if key and (existing := _job_by_key(character, key)):
            return existing
        raise


# --- Choosing, and the sheet → training pipeline ------------------------------------------------------


def _ensure_no_pipeline(character: Character) -> None:
    if character.jobs.filter(kind=CharacterJob.Kind.SHEET, status__in=ACTIVE).exists() or (
        character.training_runs.filter(status__in=ACTIVE).exists()
    ):
        raise DomainError(f"HD mode is already being prepared for {character.name}. It switches on by itself.")


def wizard_choose(*, character: Character, asset: Asset, user: User | None, key: str) -> CharacterJob | None:
    """Make ``asset`` (one of this character's candidates) its base image and avatar: usable at
    once in face-swap mode. Then start the sheet → training pipeline and return the sheet job, or
    None if the credits for both (``hd_price``) aren't there; ``hd_pipeline_start`` does it later."""
    if key and (existing := _job_by_key(character, key)):
        return existing
    if not CharacterJobItem.objects.filter(
        job__character=character, job__kind=CharacterJob.Kind.CANDIDATES, asset=asset
    ).exists():
        raise DomainError("Choose one of this character's candidate images.")
    if character.mode == "hd":
        raise DomainError(f"{character.name} already has a trained face model; its base image can't change now.")
    _ensure_no_pipeline(character)
    with transaction.atomic():
        locked = pipeline.character_lock(character.pk)
        _ensure_no_pipeline(locked)
        locked.base_image, locked.avatar = asset, asset
        locked.save(update_fields=["base_image", "avatar", "updated_at"])
        character.base_image, character.avatar = asset, asset
        transaction.on_commit(lambda: tasks.base_reference.delay(locked.pk), robust=True)
        try:
            with transaction.atomic():
                job = _sheet_pipeline_create(locked, user, key)
        except InsufficientCredits:
            return None
        except IntegrityError:
            existing = _job_by_key(character, key) if key else None
            if existing is None:
                raise
            return existing
    character.lora_status = locked.lora_status
    return job


def hd_price() -> int:
    """What the sheet → training pipeline reserves up front."""
    return operation_credits("character_sheet") + operation_credits("lora_training")


def hd_pipeline_start(*, character: Character, user: User | None, key: str) -> CharacterJob:
    """Make the character sheet and train on it, for a wizard character with a base image and no
    face model yet (credits were short, or an earlier attempt failed). Raises ``DomainError``."""
    if key and (existing := _job_by_key(character, key)):
        return existing
    if not character.base_image_id:
        raise DomainError("Choose a base image first.")
    if character.mode == "hd":
        raise DomainError(f"{character.name} is already in HD mode.")
    _ensure_no_pipeline(character)
    try:
        with transaction.atomic():
            locked = pipeline.character_lock(character.pk)
            _ensure_no_pipeline(locked)
            job = _sheet_pipeline_create(locked, user, key)
    except IntegrityError:
        existing = _job_by_key(character, key) if key else None
        if existing is None:
            raise
        return existing
    character.lora_status = Character.LoraStatus.SHEET
    return job


def _sheet_pipeline_create(character: Character, user: User | None, key: str) -> CharacterJob:
    """Reserve the sheet and the training, then start the sheet. Raises ``InsufficientCredits``
    (naming the total) before reserving anything if both can't be covered."""
    credits_require(character.org, hd_price())
    job = pipeline.job_create(
        character=character,
        kind=CharacterJob.Kind.SHEET,
        user=user,
        specs=sheet_specs(character),
        operation="character_sheet",
        credits=operation_credits("character_sheet"),
        key=key,
        hold_description=f"Character sheet for “{character.name}”",
    )
    training_hold = hold_reserve(
        org=character.org,
        amount=operation_credits("lora_training"),
        key=f"sheet-training:{job.public_id}",
        operation="lora_training",
        description=f"Face model training for “{character.name}” (from its character sheet)",
        subject=job,
        user=user,
    )
    job.params = {**job.params, "training_hold": training_hold.pk}
    job.save(update_fields=["params", "updated_at"])
    Character.objects.filter(pk=character.pk).update(lora_status=Character.LoraStatus.SHEET)
    character.lora_status = Character.LoraStatus.SHEET
    track(
        "character_sheet_generation_started",
        org=character.org,
        user=user,
        influencer_id=str(character.public_id),
        base_image_id=str(character.base_image.public_id) if character.base_image else None,
        job_id=str(job.public_id),
    )
    return job


def sheet_settled(character: Character, job: CharacterJob) -> None:
    """Called with the character and the sheet job locked, when the sheet job settles."""
    if job.status == JobStatus.SUCCEEDED:
        track(
            "character_sheet_generation_completed",
            org=character.org,
            user=job.created_by,
            influencer_id=str(character.public_id),
            sheet_count=job.items.filter(status=JobStatus.SUCCEEDED).count(),
            duration_ms=round((timezone.now() - job.created_at).total_seconds() * 1000),
        )
        transaction.on_commit(lambda: tasks.sheet_check.delay(job.pk), robust=True)
    else:
        _sheet_abandon(
            character,
            job,
            job.error or "The character sheet couldn't be made.",
            notify_user=job.status == JobStatus.FAILED,
        )


def _training_hold(job: CharacterJob) -> Hold | None:
    hold_id = job.params.get("training_hold")
    return Hold.objects.filter(pk=hold_id).first() if hold_id else None


def _sheet_abandon(character: Character, job: CharacterJob, reason: str, *, notify_user: bool) -> None:
    """The pipeline stops before training: the training credits go back; face-swap mode stays."""
    if (hold := _training_hold(job)) is not None:
        hold_release(hold=hold, reason=reason)
    if character.lora_status == Character.LoraStatus.SHEET:
        character.lora_status = Character.LoraStatus.FAILED if notify_user else Character.LoraStatus.NONE
        character.save(update_fields=["lora_status", "updated_at"])
    if notify_user:
        notify(
            org=character.org,
            user=job.created_by,
            kind="job:characters-characterjob",  # the email preference of character image sets
            title=f"HD mode couldn't be set up for {character.name}",
            body=(
                f"{reason} The {operation_credits('lora_training')} credits held for training are available again. "
                f"{character.name} still works in face-swap mode; try “Finish HD mode” on its page."
            ),
            url=pipeline.character_url(character),
        )


def _faces(asset: Asset | None) -> list[identity.Face]:
    if asset is None:
        return []
    try:
        with storage.storage().open(asset.variants.get("preview") or asset.original_key, "rb") as fh:
            return identity.analyse(fh)
    except (FileNotFoundError, identity.UnreadablePhoto):
        return []


def sheet_check(*, job_id: int) -> None:
    """Keep the sheet images that show one face, the base image's; train on them (and the base
    image) if at least ``MIN_SHEET_KEPT`` pass. A repeated task changes nothing."""
    job = CharacterJob.objects.filter(pk=job_id, kind=CharacterJob.Kind.SHEET).select_related("character").first()
    if job is None or job.status != JobStatus.SUCCEEDED or "kept" in job.params:
        return
    character = job.character
    base_faces = _faces(character.base_image)
    reference = base_faces[0].embedding if base_faces else None
    verdicts: dict[int, tuple[bool, float | None, str]] = {}
    embeddings = []
    items = list(job.items.filter(status=JobStatus.SUCCEEDED, asset__isnull=False).select_related("asset"))
    for item in items:
        faces = _faces(item.asset)
        if reference is None:
            verdicts[item.pk] = (True, None, "")
        elif len(faces) != 1:
            verdicts[item.pk] = (False, None, "No face found." if not faces else "More than one face.")
        else:
            d = identity.distance(faces[0].embedding, reference)
            same = d < identity.SAME_PERSON
            verdicts[item.pk] = (same, d, "" if same else "Doesn't look like the base image.")
            if same:
                embeddings.append(faces[0].embedding)
    kept = [pk for pk, (keep, _d, _why) in verdicts.items() if keep]
    with transaction.atomic():
        locked_character = Character.objects.select_for_update(of=("self",)).filter(pk=character.pk).first()
        if locked_character is None:
            return
        locked = CharacterJob.objects.select_for_update(of=("self",)).get(pk=job.pk)
        if "kept" in locked.params:
            return
        for item in items:
            _keep, distance, why = verdicts[item.pk]
            CharacterJobItem.objects.filter(pk=item.pk).update(identity_distance=distance, error=why)
        note = (
            ""
            if reference is not None
            else "The base image has no face we could detect, so the sheet couldn't be checked against it; all images were kept."
        )
        locked.params = {
            **locked.params,
            "kept": kept,
            "identity_verified": reference is not None,
            "check": {"kept": len(kept), "made": len(items), "note": note},
        }
        locked.save(update_fields=["params", "updated_at"])
        if locked_character.lora_status != Character.LoraStatus.SHEET:
            _sheet_abandon(locked_character, locked, "The pipeline was stopped.", notify_user=False)
            return
        if len(kept) < MIN_SHEET_KEPT:
            _sheet_abandon(
                locked_character,
                locked,
                f"Only {len(kept)} of the {len(items)} character-sheet images showed the same face as the base image; "
                f"training needs at least {MIN_SHEET_KEPT}.",
                notify_user=True,
            )
            return
        hold = _training_hold(locked)
        if hold is None or hold.status != Hold.Status.ACTIVE:
            _sheet_abandon(
                locked_character,
                locked,
                "The credits reserved for training were released in the meantime.",
                notify_user=True,
            )
            return
        if reference is not None:
            identity.reference_set(locked_character, [reference, *embeddings], source="sheet")
        training.run_create(
            character=locked_character,
            user=locked.created_by,
            source=TrainingRun.Source.SHEET,
            key=f"{training.SHEET_RUN_KEY}{locked.public_id}",
            images=len(kept) + (1 if locked_character.base_image_id else 0),
            hold=hold,
        )


def base_reference(*, character_id: int) -> None:
    """The base image's face as the identity reference, unless a better one (dataset, sheet) exists."""
    character = Character.objects.filter(pk=character_id).select_related("base_image").first()
    if character is None or character.identity_source in ("dataset", "sheet", "references"):
        return
    faces = _faces(character.base_image)
    if faces:
        identity.reference_set(character, [faces[0].embedding], source="base")


pipeline.kind_steps(CharacterJob.Kind.SHEET, settled=sheet_settled)
