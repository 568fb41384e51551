"""Deleting a character: everything it has running is stopped and its credits returned, then its
dataset photos, face model, training zips and generated images go.

Jobs of other apps made for a character (the Studio's packs) are stopped through ``on_delete``
hooks those apps register when they start (``generation.apps``), so characters never import the
apps built on them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from accounts.models import User
from assets import storage
from assets.models import Asset
from assets.services import asset_delete
from audit import actions as audit_actions
from audit.services import record
from billing.models import Hold
from billing.services import hold_release
from characters import pipeline, training
from characters.models import Character, CharacterJob, CharacterJobItem
from core.jobs import ACTIVE, JobStatus

# stop(character, reason): called with the character locked, inside the deleting transaction.
Stop = Callable[[Character, str], None]
_STOPS: list[Stop] = []


def on_delete(stop: Stop) -> Stop:
    """Register ``stop`` to cancel another app's jobs for a character that is being deleted."""
    if stop not in _STOPS:
        _STOPS.append(stop)
    return stop


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
    locked = pipeline.character_lock(character.pk)
    deleted = character_delete_preview(locked)
    reason = f"{locked.name} was deleted by {pipeline.who(user)}."
    for run in locked.training_runs.filter(status__in=ACTIVE):
        training.run_stop_locked(locked, run.pk, JobStatus.CANCELLED, reason)
    for job in (
        CharacterJob.objects.select_for_update(of=("self",))
        .select_related("hold")
        .filter(character=locked, status__in=ACTIVE)
    ):
        pipeline.job_cancel_locked(locked, job, reason)
    for stop in _STOPS:
        stop(locked, reason)
    # A finished sheet whose check hasn't run yet still holds the training credits.
    for hold_id in locked.jobs.filter(kind=CharacterJob.Kind.SHEET).values_list("params__training_hold", flat=True):
        if hold_id and (hold := Hold.objects.filter(pk=hold_id, status=Hold.Status.ACTIVE).first()):
            hold_release(hold=hold, reason=reason)
    files = [k for pair in locked.training_runs.values_list("zip_key", "zimage_lora_key") for k in pair if k]
    if locked.lora_key:
        files.append(locked.lora_key)
    for asset in Asset.objects.filter(pk__in=_character_asset_ids(locked)):
        asset_delete(asset=asset)
    record(
        action=audit_actions.CHARACTER_DELETED,
        summary=f"{pipeline.who(user)} deleted {locked.name} ({deleted['summary']})",
        org=locked.org,
        actor=user,
        target=locked,
        data={"character": locked.name, **{k: v for k, v in deleted.items() if k != "summary"}},
    )
    locked.delete()

    def files_delete() -> None:
        for key in files:
            storage.delete(key)

    transaction.on_commit(files_delete)
    return deleted
