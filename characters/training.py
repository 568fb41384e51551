"""LoRA training (PRODUCT.md §2 A, issue #5): start, prepare, settle and cancel a ``TrainingRun``.

``training_start`` checks consent and the dataset, reserves the price and creates the run; a worker
then zips the images (``NN_<bucket>.jpg``, at most 2048 px, with ``NN_<bucket>.txt`` captions when
asked for) into the org's storage and creates the ``train_lora`` provider call, and next to it the
Z-Image trainer's on the same zip (``characters.zimage``: a second LoRA for drafts, which the run
doesn't wait for). The gateway calls the run's handler when training starts and when it ends. On
success the LoRA is downloaded,
checked to be a real safetensors file, copied to ``loras/<character>.safetensors`` in the org's
storage and into the library, the hold is captured, four reference images are started and the
creator is told "HD mode unlocked". On failure or cancel the hold is released and the reason kept
in plain words. The wizard's sheet pipeline (``characters.wizard``) creates its run here too,
paying with the training hold it reserved when the base image was chosen.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import tempfile
import zipfile
from contextlib import suppress
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageOps

from accounts.models import User
from analytics.services import track
from assets import media, storage  # noqa: F401 -- media registers the HEIF opener for originals
from assets.models import Asset
from assets.services import asset_create_file
from billing.models import Hold
from billing.prices import operation_credits
from characters import attributes, dataset, identity, lora_files, pipeline, tasks, zimage
from characters.captions import caption_with_trigger
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from characters.rules import BUCKET_KEYS
from characters.services import consent_current
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs import engine
from notifications.services import notify
from providers import gateway
from providers.models import ProviderCall
from safety.services import text_screen

log = logging.getLogger(__name__)

OPERATION = "lora_training"
# fal's default for flux-lora-fast-training; enough for a face from 10–30 images.
TRAINING_STEPS = 1000
ZIP_MAX_PX = 2048
# A run trained on a character sheet is keyed ``sheet:<job public id>``: one run per sheet.
SHEET_RUN_KEY = "sheet:"


def training_price(character: Character) -> int:
    """Credits for training ``character``'s face model (captions and reference images included)."""
    return operation_credits(OPERATION)


# --- Starting ----------------------------------------------------------------------------------


def training_start(*, character: Character, user: User | None, key: str, captions: bool = False) -> TrainingRun:
    """Train ``character``'s face model on its checked dataset photos. ``captions``: put each
    photo's caption next to it in the zip. Raises ``DomainError`` (``InsufficientCredits`` among
    them); the same ``key`` (a double click) returns the same run."""
    if existing := _run_by_key(character, key):
        return existing
    if consent_current(character) is None:
        raise DomainError(
            "Accept the consent statement first: training needs your confirmation that you may use these photos.",
            field="consent",
        )
    _ensure_idle(character)
    if character.jobs.filter(kind=CharacterJob.Kind.CAPTIONS, status__in=ACTIVE).exists():
        raise DomainError("Captions are still being written. Start training when they're done.")
    status = dataset.dataset_status(character)
    if not status.can_train:
        raise DomainError(" ".join(status.reasons) or "The photos aren't ready for training yet.")
    if captions:  # they go into the training zip, where no later screen reads them
        text_screen(
            list(character.dataset.exclude(caption="").values_list("caption", flat=True)),
            org=character.org,
            user=user,
            where="training",
            field="captions",
            subject="Captions",
            hint="Edit the caption under the photo, or train without captions.",
        )
    try:
        with transaction.atomic():
            pipeline.character_lock(character.pk)
            _ensure_idle(character)
            run = run_create(
                character=character,
                user=user,
                source=TrainingRun.Source.PHOTOS,
                key=key,
                images=status.total,
                captioned=captions,
            )
    except IntegrityError:
        if key and (existing := _run_by_key(character, key)):
            return existing
        raise _already_running(character) from None
    return run


def _run_by_key(character: Character, key: str) -> TrainingRun | None:
    run = engine.job_by_key(TrainingRun, character.org, key)
    if run is not None and run.character_id != character.pk:
        raise DomainError("That request was already used for another character. Reload the page and try again.")
    return run


def _already_running(character: Character) -> DomainError:
    return DomainError(f"Training is already running for {character.name}. Wait for it to finish, or cancel it first.")


def _ensure_idle(character: Character) -> None:
    if character.training_runs.filter(status__in=ACTIVE).exists():
        raise _already_running(character)
    if character.jobs.filter(kind=CharacterJob.Kind.SHEET, status__in=ACTIVE).exists():
        raise DomainError(
            f"{character.name}'s character sheet is being made; training starts by itself when it's ready."
        )


def run_create(
    *,
    character: Character,
    user: User | None,
    source: str,
    key: str,
    images: int,
    captioned: bool = False,
    hold: Hold | None = None,
) -> TrainingRun:
    """The run, its hold (``hold``: one reserved earlier, e.g. by the wizard), and the worker task
    that zips the images, on commit. Inside the caller's transaction."""
    price = hold.amount if hold else training_price(character)
    run = engine.job_start(
        TrainingRun,
        org=character.org,
        user=user,
        key=key,
        credits=price,
        operation=OPERATION,
        hold_description=f"Face model training for “{character.name}”",
        hold=hold,
        character=character,
        source=source,
        trigger_word=character.trigger_word,
        steps=TRAINING_STEPS,
        create_masks=True,
        images=images,
        captioned=captioned,
    )
    Character.objects.filter(pk=character.pk).update(lora_status=Character.LoraStatus.TRAINING)
    character.lora_status = Character.LoraStatus.TRAINING
    track(
        "lora_training_started",
        org=character.org,
        user=user,
        influencer_id=str(character.public_id),
        sheet_count=images,
        source=source,
        job_id=str(run.public_id),
    )
    transaction.on_commit(lambda: tasks.training_prepare.delay(run.pk), robust=True)
    return run


# --- Preparing (worker): the zip and the provider call ---------------------------------------------


def training_prepare(*, run_id: int) -> None:
    """Zip the run's images into the org's storage and create the ``train_lora`` call and the
    Z-Image trainer's. A repeated task, or one for a run cancelled meanwhile, changes nothing."""
    run = TrainingRun.objects.select_related("org", "character").filter(pk=run_id).first()
    if run is None or run.status != JobStatus.QUEUED or run.call_id:
        return
    try:
        entries = _training_images(run)
        key = _zip_build(run, entries)
    except DomainError as exc:
        _run_settle(run.pk, None, JobStatus.FAILED, exc.message)
        return
    with transaction.atomic():
        pipeline.character_lock(run.character_id)
        locked = TrainingRun.objects.select_for_update(of=("self",)).get(pk=run.pk)
        if locked.status != JobStatus.QUEUED or locked.call_id:
            transaction.on_commit(lambda: storage.delete(key))
            return
        locked.zip_key, locked.images = key, len(entries)
        locked.call = gateway.call_create(
            org=run.org,
            operation="train_lora",
            input={
                "images_data_url": {"$key": key},
                "trigger_word": run.trigger_word,
                "steps": run.steps,
                "create_masks": run.create_masks,
            },
            handler=CALL_HANDLER,
            subject=run,
        )
        locked.zimage_call = zimage.trainer_call(locked, key)
        locked.save(update_fields=["zip_key", "images", "call", "zimage_call", "updated_at"])


def _training_images(run: TrainingRun) -> list[tuple[Asset, str, str]]:
    """``(asset, name, caption)`` per image, in zip order."""
    if run.source == TrainingRun.Source.PHOTOS:
        images = sorted(
            DatasetImage.objects.filter(character_id=run.character_id).select_related("asset"),
            key=lambda i: (BUCKET_KEYS.index(i.bucket) if i.bucket in BUCKET_KEYS else 99, i.position, i.pk),
        )
        return [(i.asset, i.bucket, i.caption if run.captioned else "") for i in images]
    # From the wizard: the base image and the sheet images that passed the check.
    sheet_id = (run.idempotency_key or "").removeprefix(SHEET_RUN_KEY)
    job = (
        CharacterJob.objects.filter(
            character_id=run.character_id, kind=CharacterJob.Kind.SHEET, public_id=sheet_id
        ).first()
        if sheet_id
        else None
    )
    if job is None:
        raise DomainError("The character sheet this training was for is gone.")
    kept = job.items.filter(pk__in=job.params.get("kept", []), asset__isnull=False).select_related("asset")
    entries = [(i.asset, "sheet", "") for i in kept if i.asset is not None]  # all of them: asset__isnull=False
    if run.character.base_image:
        entries.insert(0, (run.character.base_image, "base", ""))
    return entries


def _zip_build(run: TrainingRun, entries: list[tuple[Asset, str, str]]) -> str:
    if not entries:
        raise DomainError("There are no images to train on.")
    fd, name = tempfile.mkstemp(prefix="personae-training-", suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
            for number, (asset, bucket, caption) in enumerate(entries, start=1):
                stem = f"{number:02d}_{bucket}"
                archive.writestr(f"{stem}.jpg", _training_jpeg(asset))
                if caption:
                    archive.writestr(f"{stem}.txt", caption_with_trigger(caption, run.trigger_word))
        key = storage.training_zip_key(run.org, run)
        storage.delete(key)  # a repeated task writes the same name again
        with path.open("rb") as fh:
            return storage.storage().save(key, File(fh))
    finally:
        with suppress(FileNotFoundError):
            path.unlink()


def _training_jpeg(asset: Asset) -> bytes:
    """The asset's original, upright, RGB, at most ZIP_MAX_PX on its long side, as a JPEG."""
    try:
        with storage.storage().open(asset.original_key, "rb") as fh, Image.open(fh) as im:
            image = ImageOps.exif_transpose(im).convert("RGB")
    except FileNotFoundError:
        raise DomainError(f"“{asset.title}” was deleted, so training couldn't read it.") from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError(f"“{asset.title}” couldn't be read for training ({exc.__class__.__name__}).") from None
    image.thumbnail((ZIP_MAX_PX, ZIP_MAX_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


# --- Settling (called by the gateway) -------------------------------------------------------------


def _lock(run_id: int) -> tuple[Character, TrainingRun] | None:
    """The character, then the run, locked; None if the character (and so the run) was deleted meanwhile."""
    character_id = TrainingRun.objects.filter(pk=run_id).values_list("character_id", flat=True).first()
    if character_id is None:
        return None
    character = Character.objects.select_for_update(of=("self",)).select_related("org").filter(pk=character_id).first()
    if character is None:
        return None
    locked = TrainingRun.objects.select_for_update(of=("self",)).select_related("hold", "created_by").get(pk=run_id)
    return character, locked


def _lora_deliver(run_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    with transaction.atomic():
        locked = _lock(run_id)
        if locked is None:
            return
        character, run = locked
        if run.status not in ACTIVE:
            return
        guard = engine.OutputGuard(
            lambda message, _type: _run_stop(character, run, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            # At ``loras/<character>.safetensors``: retraining replaces the old file.
            key = lora_files.lora_store(call, storage.lora_key(character.org, character))
        if not guard.failed:
            _lora_ready(character, run, call, key)


def _lora_ready(character: Character, run: TrainingRun, call: ProviderCall, key: str) -> None:
    demo = call.provider == "demo"
    old_asset_id = character.lora_asset_id
    asset = asset_create_file(
        org=character.org,
        key=key,
        filename=f"{slugify(character.name) or 'character'}-{character.trigger_word}.safetensors",
        title=f"{character.name} — face model (LoRA)" + (" · demo placeholder" if demo else ""),
        created_by=run.created_by,
        metadata={
            "lora": {
                "character": str(character.public_id),
                "trigger_word": run.trigger_word,
                "steps": run.steps,
                "images": run.images,
                "source": run.source,
                "run": str(run.public_id),
                "provider": call.provider,
                "model": call.endpoint_id,
                "demo": demo,
            }
        },
    )
    if old_asset_id:
        Asset.objects.filter(pk=old_asset_id).delete()  # the row only: its file was just replaced
    now = timezone.now()
    character.lora_asset, character.lora_key = asset, key
    character.lora_status, character.lora_ready_at = Character.LoraStatus.READY, now
    character.save(update_fields=["lora_asset", "lora_key", "lora_status", "lora_ready_at", "updated_at"])
    zimage.flux_ready(character, run)
    if run.source == TrainingRun.Source.PHOTOS:
        embeddings = [e for e in character.dataset.values_list("embedding", flat=True) if e]
        if embeddings:
            identity.reference_set(character, embeddings, source="dataset")
    engine.job_finish(run, JobStatus.SUCCEEDED, lora_key=key)
    since_created_ms = round((now - character.created_at).total_seconds() * 1000)
    track(
        "lora_training_completed",
        org=character.org,
        user=run.created_by,
        influencer_id=str(character.public_id),
        job_id=str(run.public_id),
        training_duration_ms=round((now - run.created_at).total_seconds() * 1000),
        training_cost_cents=round(float(call.cost_usd or 0) * 100),
        demo=demo,
    )
    track(
        "lora_mode_activated",
        org=character.org,
        user=run.created_by,
        influencer_id=str(character.public_id),
        time_since_creation_ms=since_created_ms,
        demo=demo,
    )
    zimage.zip_discard(run)
    references_start(character=character, run=run)
    body = (
        f"{character.name}'s face model is trained and saved in your library. New images of "
        f"{character.name} now use it; four reference images are on their way."
    )
    if demo:
        body = (
            f"The demo provider made a placeholder file for {character.name}, not a trained model: "
            "set a fal.ai key to train for real. The pipeline ran end to end."
        )
    notify(
        org=character.org,
        user=run.created_by,
        kind="job:characters-trainingrun",  # the email preference of training runs
        title=f"Demo run finished for {character.name} (no model trained)"
        if demo
        else f"HD mode unlocked for {character.name}",
        body=body,
        url=pipeline.character_url(character),
    )
    track(
        "hd_mode_unlocked_notification",
        org=character.org,
        user=run.created_by,
        influencer_id=str(character.public_id),
        time_since_creation_ms=since_created_ms,
        demo=demo,
    )


def _run_settle(run_id: int, call: ProviderCall | None, status: str, error: str) -> None:
    with transaction.atomic():
        locked = _lock(run_id)
        if locked is None:
            return
        character, run = locked
        if run.status in ACTIVE:
            _run_stop(character, run, status, error)


CALL_HANDLER = engine.call_job_handler(
    "characters.training_run",
    TrainingRun,
    succeeded=_lora_deliver,
    unsuccessful=_run_settle,
    failed="The trainer stopped without saying why.",
)


def run_stop_locked(character: Character, run_id: int, status: str, reason: str) -> None:
    """Stop an active run of a locked character (used when the character is deleted)."""
    run = TrainingRun.objects.select_for_update(of=("self",)).select_related("hold", "created_by").get(pk=run_id)
    if run.status in ACTIVE:
        _run_stop(character, run, status, reason)


def _run_stop(character: Character, run: TrainingRun, status: str, error: str) -> None:
    """Fail or cancel a locked run: both trainers stopped, its credits back, the character's previous
    face models (if any) kept, and, for a failure, the creator told why."""
    engine.job_finish(run, status, error)
    if status == JobStatus.FAILED:
        track(
            "lora_training_failed",
            org=character.org,
            user=run.created_by,
            influencer_id=str(character.public_id),
            job_id=str(run.public_id),
            error=error[:200],
        )
    if run.call_id:  # a no-op when its failure is what stops the run
        gateway.call_cancel(ProviderCall.objects.get(pk=run.call_id), reason=error)
    zimage.trainer_stop(run, error)
    if character.lora_key and character.lora_asset_id:
        character.lora_status = Character.LoraStatus.READY
    else:
        character.lora_status = Character.LoraStatus.FAILED if status == JobStatus.FAILED else Character.LoraStatus.NONE
    character.save(update_fields=["lora_status", "updated_at"])
    zimage.zip_discard(run)
    if status == JobStatus.FAILED:
        notify(
            org=character.org,
            user=run.created_by,
            kind="job:characters-trainingrun",
            title=f"Training failed for {character.name}",
            body=f"{error} The {run.credits} credits held for it are available again.",
            url=pipeline.character_url(character),
        )


# --- Reference images, made with the new face model ----------------------------------------------

REFERENCE_SCENES = [
    ("Studio portrait", "studio portrait, head and shoulders, neutral background, soft light"),
    ("City street", "half-body, walking down a city street, daylight"),
    ("Café", "sitting at a café table, warm indoor light, smiling"),
    ("Full body", "full-body, standing outdoors in golden-hour light"),
]


def reference_specs(character: Character) -> list[pipeline.ItemSpec]:
    """Four images with the character's LoRA and trigger word (after training)."""
    outfit = attributes.words("default_outfit", character.default_outfit)
    specs = []
    for label, scene in REFERENCE_SCENES:
        prompt = f"{character.trigger_word}, {attributes.describe(character)}"
        prompt += (f", wearing {outfit}" if outfit else "") + f", {scene}"
        seed = secrets.randbelow(2**31)
        specs.append(
            pipeline.ItemSpec(
                operation="image_lora",
                label=label,
                prompt=prompt,
                seed=seed,
                input={
                    "prompt": prompt,
                    "loras": [{"path": {"$key": character.lora_key}, "scale": 1}],
                    "image_size": "portrait_4_3",
                    "num_images": 1,
                    "seed": seed,
                    "enable_safety_checker": True,
                    "output_format": "jpeg",
                },
            )
        )
    return specs


def references_start(*, character: Character, run: TrainingRun) -> CharacterJob:
    """Four reference images with the new LoRA (included in the training price: no hold)."""
    return pipeline.job_create(
        character=character,
        kind=CharacterJob.Kind.REFERENCES,
        user=run.created_by,
        specs=reference_specs(character),
        key=f"references:{run.public_id}",
    )


# --- What people do ---------------------------------------------------------------------------------


@transaction.atomic
def training_cancel(*, run: TrainingRun, user: User | None) -> None:
    """Stop a queued or running training and return its credits."""
    locked = _lock(run.pk)
    if locked is None:
        raise DomainError("This character was deleted.")
    character, locked_run = locked
    if locked_run.status not in ACTIVE:
        raise DomainError("This training has already finished.")
    _run_stop(character, locked_run, JobStatus.CANCELLED, engine.cancelled_by(user))
    run.status, run.error = locked_run.status, locked_run.error
