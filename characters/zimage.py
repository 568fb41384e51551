"""The Z-Image face model: a second LoRA trained from the same zip as the FLUX one, so drafts can
run on Z-Image Turbo (``fal-ai/z-image/turbo/lora``), about a quarter of FLUX's price per image. A
FLUX LoRA doesn't load in Z-Image, so drafts need a LoRA of their own.

``characters.training`` starts this trainer next to the FLUX one (``trainer_call``); the run
succeeds on the FLUX LoRA alone and never waits for this one. The Z-Image LoRA is stored per run
when it arrives and becomes the character's (``Character.zimage_lora_key``) once that run's FLUX
LoRA is the character's too, whichever of the two comes first, so a draft and an HQ image never
use face models from two different trainings. If it fails, drafts stay on FLUX: the reason is
logged and shown on the character page. Characters trained before this existed keep FLUX drafts.

Both trainers read the training zip, so ``zip_discard`` deletes it only once neither may still read it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from assets import storage
from characters import lora_files
from characters.models import Character, TrainingRun
from core.jobs import JobStatus
from jobs import engine
from providers import gateway, handlers
from providers.models import ProviderCall

log = logging.getLogger(__name__)

OPERATION = "train_lora_zimage"


def trainer_call(run: TrainingRun, zip_key: str) -> ProviderCall:
    """The Z-Image trainer's call on the run's zip (photos without a caption file are captioned
    "<trigger word> person"), created in the caller's transaction."""
    return gateway.call_create(
        org=run.org,
        operation=OPERATION,
        input={
            "image_data_url": {"$key": zip_key},
            "steps": run.steps,
            "default_caption": f"{run.trigger_word} person",
            "training_type": "content",
        },
        handler=CALL_HANDLER,
        subject=run,
    )


def lora_key(character: Character, run: TrainingRun) -> str:
    """Next to the FLUX LoRA, one file per run: a newer training never overwrites the one in use."""
    return (
        storage.lora_key(character.org, character).removesuffix(".safetensors") + f".zimage-{run.public_id}.safetensors"
    )


# --- Settling (called by the gateway) -------------------------------------------------------------


def zimage_on_call(call: ProviderCall, event: handlers.Event, *, last_attempt: bool) -> None:
    if event == "running":
        return  # the run's progress is the FLUX trainer's
    run_id = TrainingRun.objects.filter(zimage_call_id=call.pk).values_list("pk", flat=True).first()
    if run_id is None:
        log.info("provider call %s: no training run waits on this Z-Image LoRA any more", call.pk)
    elif call.status == ProviderCall.Status.SUCCEEDED:
        _deliver(run_id, call, last_attempt=last_attempt)
    else:
        _unsuccessful(
            run_id, call, engine.call_outcome(call, failed="The Z-Image trainer stopped without saying why.")[1]
        )


CALL_HANDLER = handlers.register("characters.training_zimage", zimage_on_call)


def _lock(run_id: int) -> tuple[Character, TrainingRun] | None:
    """The character, then the run (the order ``characters.training`` locks them in); None if deleted."""
    character_id = TrainingRun.objects.filter(pk=run_id).values_list("character_id", flat=True).first()
    if character_id is None:
        return None
    character = Character.objects.select_for_update(of=("self",)).select_related("org").filter(pk=character_id).first()
    if character is None:
        return None
    return character, TrainingRun.objects.select_for_update(of=("self",)).get(pk=run_id)


def _deliver(run_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    with transaction.atomic():
        locked = _lock(run_id)
        if locked is None:
            return
        character, run = locked
        if run.zimage_call_id != call.pk or run.zimage_lora_key or run.zimage_error:
            return  # settled already: a repeated task
        if run.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            zip_discard(run)  # its FLUX face model never came, so there is nothing to pair it with
            return
        guard = engine.OutputGuard(lambda message, _type: _failed(run, message), last_attempt=last_attempt)
        with guard:
            key = lora_files.lora_store(call, lora_key(character, run))
        if not guard.failed:
            run.zimage_lora_key = key
            run.save(update_fields=["zimage_lora_key", "updated_at"])
            latest = not character.training_runs.filter(status=JobStatus.SUCCEEDED, pk__gt=run.pk).exists()
            if run.status == JobStatus.SUCCEEDED and latest:
                _use(character, key)
        zip_discard(run)


def _unsuccessful(run_id: int, call: ProviderCall, error: str) -> None:
    with transaction.atomic():
        locked = _lock(run_id)
        if locked is None:
            return
        _character, run = locked
        if run.zimage_call_id == call.pk and not (run.zimage_lora_key or run.zimage_error):
            _failed(run, error)
            zip_discard(run)


def _failed(run: TrainingRun, error: str) -> None:
    log.warning("training run %s: no Z-Image LoRA, drafts stay on FLUX: %s", run.pk, error)
    run.zimage_error = error[:500]
    run.save(update_fields=["zimage_error", "updated_at"])


def _use(character: Character, key: str) -> None:
    """``key`` (or none: FLUX drafts) is now the character's Z-Image LoRA; the one it replaces goes."""
    old = character.zimage_lora_key
    character.zimage_lora_key = key
    character.save(update_fields=["zimage_lora_key", "updated_at"])
    if old and old != key:
        transaction.on_commit(lambda: storage.delete(old))


# --- Called by characters.training, with the character and the run locked -------------------------


def flux_ready(character: Character, run: TrainingRun) -> None:
    """The run's FLUX LoRA is now the character's: so is its Z-Image LoRA if it came first; if not,
    drafts use FLUX until it does (an older Z-Image LoRA was trained on other photos)."""
    _use(character, run.zimage_lora_key)


def trainer_stop(run: TrainingRun, reason: str) -> None:
    """The run failed or was cancelled: stop its Z-Image training, and drop a LoRA it already made."""
    if run.zimage_call_id:
        gateway.call_cancel(ProviderCall.objects.get(pk=run.zimage_call_id), reason=reason)
    if run.zimage_lora_key:
        key = run.zimage_lora_key
        TrainingRun.objects.filter(pk=run.pk).update(zimage_lora_key="")
        run.zimage_lora_key = ""
        transaction.on_commit(lambda: storage.delete(key))


def zip_discard(run: TrainingRun) -> None:
    """Delete the run's zip (it holds the person's photos) once no trainer may still read it."""
    if not run.zip_key:
        return
    readers = [pk for pk in (run.call_id, run.zimage_call_id) if pk]
    if ProviderCall.objects.filter(pk__in=readers, status__in=ProviderCall.ACTIVE).exists():
        return  # the other trainer's handler discards it when that one ends
    key = run.zip_key
    TrainingRun.objects.filter(pk=run.pk).update(zip_key="")
    run.zip_key = ""
    transaction.on_commit(lambda: storage.delete(key))


# --- Reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drafts:
    """Which model makes a trained character's drafts, and why FLUX when it isn't Z-Image."""

    model: str  # "zimage" | "flux"
    reason: str = ""  # for FLUX: "before" (trained before Z-Image drafts), "training", "failed"
    error: str = ""


def drafts_for(character: Character) -> Drafts | None:
    """For the character page; None when the character has no trained face model in use."""
    if character.mode != "hd":
        return None
    if character.zimage_lora_key:
        return Drafts("zimage")
    run = character.training_runs.filter(status=JobStatus.SUCCEEDED).order_by("-pk").first()
    if run is None or run.zimage_call_id is None:
        return Drafts("flux", "before")
    if run.zimage_error:
        return Drafts("flux", "failed", run.zimage_error.rstrip("."))
    return Drafts("flux", "training")
