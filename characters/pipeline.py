"""Character jobs and what ties the character pipelines together: the wizard's candidates, the
character sheet, the reference images after training and dataset captions are all a
``CharacterJob`` with one item per provider call, settled here; deleting a character stops
everything it has running and deletes its files. The pipelines' Celery tasks are in ``characters.tasks``.

Training is in ``characters.training``, the wizard's steps in ``characters.wizard``, captions in
``characters.captions``.

A job holds its credits once (``hold_reserve``) and, when its last item settles, captures the
share of the price that was delivered (``credits × delivered // items``) and releases the rest.
Locks are always taken in the same order: the character, then its run or job, then an item,
then (in ``billing``) the hold — so a cancel, a delete and a finishing call never deadlock, and
whichever comes second sees the first one's result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_from_file, asset_delete
from billing.models import Hold
from billing.services import hold_capture, hold_release, hold_reserve
from characters.models import Character, CharacterJob, CharacterJobItem, TrainingRun
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from providers import gateway, registry
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

log = logging.getLogger(__name__)

JOB_HANDLER = "characters.pipeline.job_item_on_call"


def character_url(character: Character) -> str:
    return reverse("characters:detail", args=[character.org.slug, character.public_id])


def who(user: User | None) -> str:
    return user.display_name if user else "support"


def character_lock(character_id: int) -> Character:
    return Character.objects.select_for_update(of=("self",)).select_related("org").get(pk=character_id)


# --- Jobs: creating ----------------------------------------------------------------------------


@dataclass
class ItemSpec:
    """One provider call of a job: what it asks for and how the item is labelled."""

    operation: str
    input: dict
    label: str = ""
    prompt: str = ""
    seed: int | None = None
    dataset_image_id: int | None = None
    extra: dict = field(default_factory=dict)


def job_create(
    *,
    character: Character,
    kind: str,
    user: User | None,
    specs: list[ItemSpec],
    operation: str = "",
    credits: int = 0,
    key: str = "",
    params: dict | None = None,
    hold_description: str = "",
) -> CharacterJob:
    """A job with one item and one provider call per spec, and a hold of ``credits`` (if any).
    Runs inside the caller's transaction; the calls are submitted after it commits."""
    job = CharacterJob.objects.create(
        org=character.org,
        character=character,
        kind=kind,
        params=params or {},
        operation=operation,
        credits=credits,
        idempotency_key=key or None,
        created_by=user,
    )
    if credits:
        job.hold = hold_reserve(
            org=character.org,
            amount=credits,
            key=f"character-job:{job.public_id}",
            operation=operation,
            description=hold_description or f"{job.get_kind_display()} for “{character.name}”",
            subject=job,
            user=user,
        )
        job.save(update_fields=["hold", "updated_at"])
    for position, spec in enumerate(specs):
        call = gateway.call_create(org=character.org, operation=spec.operation, input=spec.input, handler=JOB_HANDLER)
        CharacterJobItem.objects.create(
            job=job,
            position=position,
            label=spec.label,
            prompt=spec.prompt,
            seed=spec.seed,
            call=call,
            dataset_image_id=spec.dataset_image_id,
        )
    return job


# --- Jobs: settling (called by the gateway) ------------------------------------------------------


def job_item_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    item = CharacterJobItem.objects.filter(call_id=call.pk).select_related("job").first()
    if item is None:
        log.info("provider call %s has no character job item (deleted with its character?)", call.pk)
        return
    if event == "running":
        CharacterJobItem.objects.filter(pk=item.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
        transition(
            CharacterJob, item.job_id, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now()
        )
        return
    if call.status == ProviderCall.Status.SUCCEEDED:
        _item_deliver(item, call, last_attempt=last_attempt)
    elif call.status == ProviderCall.Status.CANCELLED:
        _item_settle(item, JobStatus.CANCELLED, call.error or "Cancelled.")
    else:
        _item_settle(item, JobStatus.FAILED, call.error or "The provider failed without saying why.")


def _locked(item: CharacterJobItem) -> tuple[Character, CharacterJob, CharacterJobItem] | None:
    """Character, job and item, locked in that order; None if the character was deleted meanwhile."""
    character_id = CharacterJob.objects.filter(pk=item.job_id).values_list("character_id", flat=True).first()
    character = Character.objects.select_for_update(of=("self",)).select_related("org").filter(pk=character_id).first()
    if character is None:
        return None
    job = CharacterJob.objects.select_for_update(of=("self",)).select_related("hold").get(pk=item.job_id)
    locked_item = CharacterJobItem.objects.select_for_update().filter(pk=item.pk).first()
    if locked_item is None:
        return None
    return character, job, locked_item


def _item_deliver(item: CharacterJobItem, call: ProviderCall, *, last_attempt: bool) -> None:
    """Copy the item's result into our storage (an image into the library, a caption onto its
    photo), once. The job stays locked meanwhile, so a cancel waits and then sees it settled."""
    with transaction.atomic():
        locked = _locked(item)
        if locked is None:
            return
        character, job, item = locked
        if item.status not in ACTIVE:
            return
        try:
            if job.kind == CharacterJob.Kind.CAPTIONS:
                from characters import captions

                captions.caption_deliver(character=character, item=item, call=call)
            else:
                item.asset = _image_deliver(character, job, item, call)
        except ProviderError as exc:
            if exc.transient and not last_attempt:
                raise
            _item_finish(item, JobStatus.FAILED, exc.message)
        except media.MediaError as exc:
            _item_finish(item, JobStatus.FAILED, f"The provider's result wasn't a usable image: {exc}")
        else:
            _item_finish(item, JobStatus.SUCCEEDED)
        _job_settle_if_done(character, job)


def _item_settle(item: CharacterJobItem, status: str, error: str) -> None:
    with transaction.atomic():
        locked = _locked(item)
        if locked is None:
            return
        character, job, item = locked
        if item.status in ACTIVE:
            _item_finish(item, status, error)
            _job_settle_if_done(character, job)


def _item_finish(item: CharacterJobItem, status: str, error: str = "") -> None:
    item.status, item.error = status, error
    item.save(update_fields=["status", "error", "asset"])


def _image_deliver(character: Character, job: CharacterJob, item: CharacterJobItem, call: ProviderCall) -> Asset:
    parents = [character.base_image] if job.kind == CharacterJob.Kind.SHEET and character.base_image else []
    title = f"{character.name} — {_item_title(job, item)}"
    with gateway.output_download(call, gateway.output_image_url(call.output)) as path:
        asset = asset_create_from_file(
            org=character.org,
            path=path,
            filename=f"{PurePath(title).stem}.jpg",
            title=title,
            source=Asset.Source.GENERATED,
            created_by=job.created_by,
            parents=parents,
            metadata={"recipe": _recipe(character, job, item, call)},
        )
    if parents and asset.near_duplicate_of_id == parents[0].pk:
        Asset.objects.filter(pk=asset.pk).update(near_duplicate_of=None)  # made from it: of course it looks alike
    return asset


def _item_title(job: CharacterJob, item: CharacterJobItem) -> str:
    """What a job's image is, for its library title: "candidate face 2", "character sheet · Profile"."""
    if job.kind == CharacterJob.Kind.CANDIDATES:
        return f"candidate face {item.position + 1}"
    what = {CharacterJob.Kind.SHEET: "character sheet", CharacterJob.Kind.REFERENCES: "reference image"}[job.kind]
    return f"{what} · {item.label}" if item.label else f"{what} {item.position + 1}"


def _recipe(character: Character, job: CharacterJob, item: CharacterJobItem, call: ProviderCall) -> dict:
    endpoint = registry.ENDPOINTS[call.operation]
    items = job.items.count() or 1
    return {
        "operation": f"character_{job.kind}",
        "prompt": item.prompt,
        "label": item.label,
        "seed": (call.output or {}).get("seed", item.seed),
        "provider": call.provider,
        "model": call.endpoint_id if call.provider != "demo" else "Labelled placeholder (demo provider, not AI)",
        "model_label": endpoint.label,
        "character": str(character.public_id),
        "trigger_word": character.trigger_word if job.kind == CharacterJob.Kind.REFERENCES else "",
        "job": str(job.public_id),
        "cost": job.credits // items,
    }


def _job_settle_if_done(character: Character, job: CharacterJob) -> None:
    if job.status not in ACTIVE:
        return
    items = list(job.items.all())
    if any(i.status in ACTIVE for i in items):
        return
    delivered = sum(1 for i in items if i.status == JobStatus.SUCCEEDED)
    if delivered:
        _job_finish_locked(character, job, JobStatus.SUCCEEDED, "")
        return
    reasons = sorted({i.error for i in items if i.error})
    error = f"None of the {len(items)} came back. " + (reasons[0] if reasons else "")
    _job_finish_locked(character, job, JobStatus.FAILED, error.strip())


def _job_finish_locked(character: Character, job: CharacterJob, status: str, error: str) -> None:
    """Settle a locked job: its status, the share of its credits that was delivered, and what
    happens next (a finished character sheet is checked, then trained)."""
    items = list(job.items.all())
    delivered = sum(1 for i in items if i.status == JobStatus.SUCCEEDED)
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if job.hold:
        charged = job.credits * delivered // max(len(items), 1)
        if charged:
            hold_capture(hold=job.hold, amount=charged)
        else:
            hold_release(hold=job.hold, reason=error or "Nothing was delivered.")
    if job.kind == CharacterJob.Kind.SHEET:
        from characters import wizard

        wizard.sheet_settled(character=character, job=job)


# --- What people do ------------------------------------------------------------------------------


@transaction.atomic
def character_job_cancel(*, job: CharacterJob, user: User | None) -> None:
    """Stop a job: images already delivered stay (and are paid for); the rest of the credits return."""
    character = character_lock(job.character_id)
    locked = CharacterJob.objects.select_for_update(of=("self",)).select_related("hold").get(pk=job.pk)
    if locked.status not in ACTIVE:
        raise DomainError("This has already finished.")
    _job_cancel_locked(character, locked, f"Cancelled by {who(user)}.")
    job.status = locked.status


def _job_cancel_locked(character: Character, job: CharacterJob, reason: str) -> None:
    for item in job.items.select_for_update(of=("self",)).filter(status__in=ACTIVE).select_related("call"):
        _item_finish(item, JobStatus.CANCELLED, reason)
        if item.call:
            gateway.call_cancel(item.call, reason=reason)
    _job_finish_locked(character, job, JobStatus.CANCELLED, reason)


def references_start(*, character: Character, run: TrainingRun) -> CharacterJob:
    """Four reference images with the new LoRA (included in the training price: no hold)."""
    from characters import wizard

    return job_create(
        character=character,
        kind=CharacterJob.Kind.REFERENCES,
        user=run.created_by,
        specs=wizard.reference_specs(character),
        key=f"references:{run.public_id}",
    )


# --- Deleting a character ----------------------------------------------------------------------


def _character_asset_ids(character: Character) -> set[int]:
    ids = set(character.dataset.values_list("asset_id", flat=True))
    ids |= set(
        CharacterJobItem.objects.filter(job__character=character, asset__isnull=False).values_list(
            "asset_id", flat=True
        )
    )
    ids |= {pk for pk in (character.lora_asset_id, character.base_image_id, character.avatar_id) if pk}
    return ids


def character_delete_preview(character: Character) -> dict:
    """What deleting ``character`` deletes, for the confirmation page:
    ``{"photos", "lora", "runs", "images", "active", "summary"}``."""
    photos = character.dataset.count()
    generated = (
        CharacterJobItem.objects.filter(job__character=character, asset__isnull=False)
        .values("asset_id")
        .distinct()
        .count()
    )
    lora = 1 if character.lora_key or character.lora_asset_id else 0
    runs = character.training_runs.count()
    active = (
        character.training_runs.filter(status__in=ACTIVE).count()
        + character.jobs.filter(status__in=ACTIVE).count()
        + character.generation_jobs.filter(status__in=ACTIVE).count()
    )
    parts = [
        f"{photos} photo{'s' if photos != 1 else ''}",
        f"{lora} face model{'s' if lora != 1 else ''}",
        f"{runs} training run{'s' if runs != 1 else ''}",
        f"{generated} image{'s' if generated != 1 else ''}",
    ]
    return {
        "photos": photos,
        "lora": lora,
        "runs": runs,
        "images": generated,
        "active": active,
        "summary": ", ".join(parts),
    }


@transaction.atomic
def character_delete(*, character: Character, user: User | None) -> dict:
    """Delete a character with its dataset photos, face model, training zips and generated images.

    Whatever is running is cancelled first and its credits returned, so a late webhook finds
    nothing to settle and charges nothing. Returns what was deleted (``character_delete_preview``).
    """
    from characters import training

    locked = character_lock(character.pk)
    deleted = character_delete_preview(locked)
    reason = f"{locked.name} was deleted by {who(user)}."
    for run in locked.training_runs.filter(status__in=ACTIVE):
        training.run_stop_locked(locked, run.pk, JobStatus.CANCELLED, reason)
    for job in (
        CharacterJob.objects.select_for_update(of=("self",))
        .select_related("hold")
        .filter(character=locked, status__in=ACTIVE)
    ):
        _job_cancel_locked(locked, job, reason)
    from generation.packs import packs_cancel_for_character

    packs_cancel_for_character(locked, reason)
    # A finished sheet whose check hasn't run yet still holds the training credits.
    for hold_id in locked.jobs.filter(kind=CharacterJob.Kind.SHEET).values_list("params__training_hold", flat=True):
        if hold_id and (hold := Hold.objects.filter(pk=hold_id, status=Hold.Status.ACTIVE).first()):
            hold_release(hold=hold, reason=reason)
    files = [k for k in locked.training_runs.values_list("zip_key", flat=True) if k]
    if locked.lora_key:
        files.append(locked.lora_key)
    for asset in Asset.objects.filter(pk__in=_character_asset_ids(locked)):
        asset_delete(asset=asset)
    locked.delete()
    transaction.on_commit(lambda: [storage.delete(key) for key in files])
    return deleted
