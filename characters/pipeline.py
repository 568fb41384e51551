"""Character jobs and what ties the character pipelines together: the wizard's candidates, the
character sheet, the reference images after training and dataset captions are all a
``CharacterJob`` with one item per provider call, settled here. The pipelines' Celery tasks are in
``characters.tasks``.

Training is in ``characters.training``, the wizard's steps in ``characters.wizard``, captions in
``characters.captions``; deleting a character in ``characters.deletion``. The lifecycle itself
(start, hold, settle) is the job engine's (``jobs.engine``).

A job holds its credits once (``hold_reserve``) and, when its last item settles, captures the
share of the price that was delivered (``credits × delivered // items``) and releases the rest.
Locks are always taken in the same order: the character, then its run or job, then an item,
then (in ``billing``) the hold — so a cancel, a delete and a finishing call never deadlock, and
whichever comes second sees the first one's result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.urls import reverse

from accounts.models import User
from assets.models import Asset
from characters.models import Character, CharacterJob, CharacterJobItem
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from jobs import engine
from providers import gateway, handlers, registry
from providers.models import ProviderCall

log = logging.getLogger(__name__)


def character_url(character: Character) -> str:
    return reverse("characters:detail", args=[character.org.slug, character.public_id])


def who(user: User | None) -> str:
    return user.display_name if user else "support"


def character_lock(character_id: int) -> Character:
    return Character.objects.select_for_update(of=("self",)).select_related("org").get(pk=character_id)


# --- Job kinds: what each adds to the shared lifecycle ---------------------------------------------

# An item's result goes to the library as an image unless its kind delivers it otherwise (captions
# write text onto a dataset photo); a kind may take a next step once its job settles (a finished
# character sheet is checked, then trained). Each kind's module registers its steps when imported
# (``CharactersConfig.ready`` imports them), so this module never imports its callers.
Deliver = Callable[[Character, "CharacterJob", "CharacterJobItem", ProviderCall], None]
Settled = Callable[[Character, "CharacterJob"], None]
_DELIVER: dict[str, Deliver] = {}
_SETTLED: dict[str, Settled] = {}


def kind_steps(kind: str, *, deliver: Deliver | None = None, settled: Settled | None = None) -> None:
    if deliver is not None:
        _DELIVER[kind] = deliver
    if settled is not None:
        _SETTLED[kind] = settled


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

    def build(job: CharacterJob) -> None:
        for position, spec in enumerate(specs):
            call = gateway.call_create(
                org=character.org, operation=spec.operation, input=spec.input, handler=CALL_HANDLER, subject=job
            )
            CharacterJobItem.objects.create(
                job=job,
                position=position,
                label=spec.label,
                prompt=spec.prompt,
                seed=spec.seed,
                call=call,
                dataset_image_id=spec.dataset_image_id,
            )

    return engine.job_start(
        CharacterJob,
        org=character.org,
        user=user,
        key=key,
        credits=credits,
        operation=operation,
        hold_description=hold_description or f"{CharacterJob.Kind(kind).label} for “{character.name}”",
        build=build,
        character=character,
        kind=kind,
        params=params or {},
    )


# --- Jobs: settling (called by the gateway) ------------------------------------------------------


def job_item_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    item = CharacterJobItem.objects.filter(call_id=call.pk).select_related("job").first()
    if item is None:
        log.info("provider call %s has no character job item (deleted with its character?)", call.pk)
    elif event == "running":
        transition(CharacterJobItem, item.pk, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING)
        engine.job_running(CharacterJob, item.job_id)
    elif call.status == ProviderCall.Status.SUCCEEDED:
        _item_deliver(item, call, last_attempt=last_attempt)
    else:
        _item_settle(item, *engine.call_outcome(call))


CALL_HANDLER = handlers.register("characters.job_item", job_item_on_call)


def _locked(item: CharacterJobItem) -> tuple[Character, CharacterJob, CharacterJobItem] | None:
    """Character, job and item, locked in that order; None if the character was deleted meanwhile."""
    character_id = CharacterJob.objects.filter(pk=item.job_id).values_list("character_id", flat=True).first()
    if character_id is None:  # the job went with its character
        return None
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
        guard = engine.OutputGuard(
            lambda message, _type: _item_finish(item, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            if deliver := _DELIVER.get(job.kind):
                deliver(character, job, item, call)
            else:
                item.asset = _image_deliver(character, job, item, call)
        if not guard.failed:
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
    title = f"{character.name} — {_item_title(job, item)}"
    return engine.output_to_library(
        call,
        org=character.org,
        filename=f"{PurePath(title).stem}.jpg",
        title=title,
        source=Asset.Source.GENERATED,
        created_by=job.created_by,
        parents=[character.base_image] if job.kind == CharacterJob.Kind.SHEET else [],
        recipe=_recipe(character, job, item, call),
        credits=job.credits // (job.items.count() or 1),
        likeness_of=character,
    )


def _item_title(job: CharacterJob, item: CharacterJobItem) -> str:
    """What a job's image is, for its library title: "candidate face 2", "character sheet · Profile"."""
    if job.kind == CharacterJob.Kind.CANDIDATES:
        return f"candidate face {item.position + 1}"
    names: dict[str, str] = {
        CharacterJob.Kind.SHEET: "character sheet",
        CharacterJob.Kind.REFERENCES: "reference image",
    }
    what = names[job.kind]
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
    engine.job_finish(job, status, error, charge=job.credits * delivered // max(len(items), 1))
    if settled := _SETTLED.get(job.kind):
        settled(character, job)


# --- What people do ------------------------------------------------------------------------------


@transaction.atomic
def character_job_cancel(*, job: CharacterJob, user: User | None) -> None:
    """Stop a job: images already delivered stay (and are paid for); the rest of the credits return."""
    character = character_lock(job.character_id)
    locked = CharacterJob.objects.select_for_update(of=("self",)).select_related("hold").get(pk=job.pk)
    if locked.status not in ACTIVE:
        raise DomainError("This has already finished.")
    job_cancel_locked(character, locked, engine.cancelled_by(user))
    job.status = locked.status


def job_cancel_locked(character: Character, job: CharacterJob, reason: str) -> None:
    for item in job.items.select_for_update(of=("self",)).filter(status__in=ACTIVE).select_related("call"):
        _item_finish(item, JobStatus.CANCELLED, reason)
        if item.call:
            gateway.call_cancel(item.call, reason=reason)
    _job_finish_locked(character, job, JobStatus.CANCELLED, reason)
