"""The one lifecycle every paid operation runs on.

    job_start ──▶ queued ──(call running)──▶ running ──▶ succeeded | failed | cancelled
                     │                                  ▲
                     └──── the kind's cancel (job_finish) ──┘

- **Start** (``job_start``): the one-time key (a repeated form returns the first job, under any
  concurrency: a unique constraint, then the existing row), the plan's limit on jobs running at
  once, the row, its credit hold (refused with the domain's words for "not enough credits"), and
  whatever the kind adds — its provider calls and items — in one transaction; calls are submitted
  after commit.
- **Provider callbacks**: each kind registers one handler (``providers.handlers``) and reads a
  finished call with ``call_outcome``; outputs are taken inside ``OutputGuard`` (a transient error
  retries the task, anything else fails the job with words a person understands), and images go
  to the library through ``output_to_library`` (asset, lineage, recipe).
- **Settle** (``job_finish``): with the job row locked, record how it ended and settle its hold
  exactly once — capture what was delivered, release the rest.

Each domain supplies only its inputs, its next step and its recipe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Protocol, TypeVar

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from assets import media
from assets.models import Asset
from assets.services import asset_create_from_file
from billing import limits
from billing.models import Hold
from billing.services import InsufficientCredits, credit_account_lock, hold_capture, hold_release, hold_reserve
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from jobs import deliveries
from jobs.models import CallJob, Job
from orgs.models import Organization
from orgs.selectors import pending_deletion_message
from providers import gateway, handlers, outputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

J = TypeVar("J", bound=Job)

log = logging.getLogger(__name__)


def _rows(model: type[J]) -> QuerySet[J]:
    """``model``'s rows, typed as ``model``'s."""
    # The django-stubs plugin types ``type[J].objects`` by J's bound (Job), not by J.
    return model.objects.all()  # type: ignore[return-value]


# --- Starting ----------------------------------------------------------------------------------------


def job_by_key(model: type[J], org: Organization, key: str) -> J | None:
    """The job a form with one-time ``key`` already started, if any."""
    return _rows(model).filter(org=org, idempotency_key=key).first() if key else None


def job_models() -> list[type[Job]]:
    """Every kind of job (the concrete models built on ``Job``)."""
    return [model for model in apps.get_models() if issubclass(model, Job)]


def jobs_running(org: Organization) -> int:
    """The organisation's paid jobs that are queued or running, of every kind: what the plan's
    limit on jobs at once counts (free follow-ups, such as a trained model's reference images, don't)."""
    return sum(_rows(model).filter(org=org, status__in=ACTIVE, credits__gt=0).count() for model in job_models())


def _job_slot_take(org: Organization) -> None:
    """Refuse a new paid job while the plan's concurrent jobs are all running. Starts in one org
    queue behind its credit account's row lock, so two at once can't both take the last slot."""
    credit_account_lock(org)
    limits.jobs_check(org, running=jobs_running(org))


def _refuse_if_pending_deletion(org: Organization) -> None:
    """No new work in an organisation scheduled for deletion, whichever page, API call or
    follow-up step asks. Read after the credit account's lock, which scheduling a deletion also
    takes, so a job and a deletion can't both slip past each other's check."""
    due = Organization.objects.filter(pk=org.pk).values_list("deletion_due_at", flat=True).first()
    if due is not None:
        org.deletion_due_at = due
        raise DomainError(pending_deletion_message(org))


def job_start(model: type[J], **kwargs: Any) -> J:
    """``job_start_created`` without saying whether the job is new."""
    return job_start_created(model, **kwargs)[0]


def job_start_created(
    model: type[J],
    *,
    org: Organization,
    user: User | None,
    key: str = "",
    credits: int,
    operation: str,
    hold_description: str,
    build: Callable[[J], Any] | None = None,
    hold_operation: str = "",
    refusal: Callable[[InsufficientCredits], DomainError] | None = None,
    hold: Hold | None = None,
    **fields: Any,
) -> tuple[J, bool]:
    """Start a job of ``model``: the row (with ``fields``), a hold of ``credits`` and what ``build(job)``
    adds (its provider calls, items or files), in one transaction. Raises ``LimitReached`` when the
    plan's jobs at once are all running, ``InsufficientCredits``, or what ``refusal`` makes of it.
    ``hold``: one reserved earlier for this job (the wizard reserves training with its character
    sheet), used instead of reserving ``credits`` again; such a job, a step of work already paid
    for and started, isn't held back by the limit.

    ``key`` is the form's one-time key: a repeated submit gets the first job back, also when many
    arrive at once (the unique constraint on (org, key) lets one insert through; the others find
    its row once it commits). Returns the job, and False when it is one a repeated form started.
    """
    if existing := job_by_key(model, org, key):
        return existing, False
    try:
        with transaction.atomic():
            if credits and hold is None:
                _job_slot_take(org)
            _refuse_if_pending_deletion(org)
            job = _rows(model).create(
                org=org, created_by=user, idempotency_key=key or None, credits=credits, operation=operation, **fields
            )
            if hold is not None:
                job.hold = hold
            elif credits:
                try:
                    job.hold = hold_reserve(
                        org=org,
                        amount=credits,
                        key=f"{model.HOLD_KEY}:{job.public_id}",
                        operation=hold_operation or operation,
                        description=hold_description,
                        subject=job,
                        user=user,
                    )
                except InsufficientCredits as exc:
                    if refusal is None:
                        raise
                    raise refusal(exc) from None
            if build is not None:
                build(job)
            job.save()
            return job, True
    except IntegrityError:
        if existing := job_by_key(model, org, key):
            return existing, False
        raise


# --- Provider callbacks ----------------------------------------------------------------------------


class Succeeded(Protocol):
    def __call__(self, job_id: int, call: ProviderCall, /, *, last_attempt: bool) -> None: ...


Unsuccessful = Callable[[int, ProviderCall, str, str], None]


def call_job_handler(
    name: str,
    model: type[CallJob],
    *,
    succeeded: Succeeded,
    unsuccessful: Unsuccessful | None = None,
    failed: str = "The provider failed without saying why.",
) -> handlers.CallHandler:
    """Register the provider-call handler of a kind of job done by one call at a time: the call
    running moves the job to running; a success goes to ``succeeded(job_id, call, last_attempt=…)``
    (the kind's next step or delivery); a failure or cancel to ``unsuccessful(job_id, call, status,
    error)``, by default ``job_finish_if_active``. A call no job waits on any more (a later step
    replaced it, or the job was deleted) changes nothing."""

    def on_call(call: ProviderCall, event: handlers.Event, *, last_attempt: bool) -> None:
        job_id = model._default_manager.filter(call_id=call.pk).values_list("pk", flat=True).first()
        if job_id is None:
            log.info("provider call %s: no %s waits on it any more", call.pk, model._meta.verbose_name)
        elif event == "running":
            job_running(model, job_id)
        elif call.status == ProviderCall.Status.SUCCEEDED:
            succeeded(job_id, call, last_attempt=last_attempt)
        elif unsuccessful is not None:
            unsuccessful(job_id, call, *call_outcome(call, failed=failed))
        else:
            job_finish_if_active(model, job_id, *call_outcome(call, failed=failed))

    return handlers.register(name, on_call)


def job_running(model: type[Job], job_id: int) -> bool:
    """The provider started on a queued job's call."""
    return transition(model, job_id, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now())


def call_outcome(call: ProviderCall, *, failed: str = "The provider failed without saying why.") -> tuple[str, str]:
    """``(job status, error)`` for a finished call: succeeded, cancelled, or failed in the provider's words."""
    if call.status == ProviderCall.Status.SUCCEEDED:
        return JobStatus.SUCCEEDED, ""
    if call.status == ProviderCall.Status.CANCELLED:
        return JobStatus.CANCELLED, call.error or "Cancelled."
    return JobStatus.FAILED, call.error or failed


class Unusable(Exception):
    """A finished call whose output can't be used: the job fails with ``message``."""

    def __init__(self, message: str, error_type: str = "bad_output"):
        super().__init__(message)
        self.message = message
        self.error_type = error_type


class OutputGuard:
    """Around taking a finished call's output into our storage::

        guard = OutputGuard(fail=lambda message, error_type: ..., last_attempt=last_attempt)
        with guard:
            ...
        if guard.failed: ...

    A transient provider error propagates (the task is retried) unless this is the last attempt;
    any other provider error, an unusable file or ``Unusable`` calls ``fail(message, error_type)``
    and is swallowed, so the job ends with words a person understands.
    """

    def __init__(self, fail: Callable[[str, str], None], *, last_attempt: bool):
        self.fail = fail
        self.last_attempt = last_attempt
        self.failed = False

    def __enter__(self) -> OutputGuard:
        return self

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None:
            return False
        if isinstance(exc, outputs.HeldBack):
            message, error_type = exc.message, "safety_checker"
        elif isinstance(exc, ProviderError):
            if exc.transient and not self.last_attempt:
                return False
            message, error_type = exc.message, "provider_output"
        elif isinstance(exc, media.MediaError):
            message, error_type = f"The provider's result wasn't a usable image: {_output_refusal(exc)}", "bad_output"
        elif isinstance(exc, Unusable):
            message, error_type = exc.message, exc.error_type
        else:
            return False
        self.failed = True
        self.fail(message, error_type)
        return True


def _output_refusal(exc: media.MediaError) -> str:
    """What the file was, from a refusal written for uploaders ("This file is a web page (HTML), not
    an image or video. We accept …"): for a provider's result, without the advice to upload another."""
    text = str(exc)
    if text.startswith("This file is "):
        return "it is " + text.removeprefix("This file is ").split(". ")[0].rstrip(".") + "."
    return text


def output_to_library(
    call: ProviderCall,
    *,
    org: Organization,
    title: str,
    filename: str,
    source: str,
    created_by: User | None,
    recipe: dict,
    parents: Iterable[Asset | None] = (),
    nsfw: bool = False,
    character: Any = None,  # a characters.Character; the jobs layer sits below characters
    unflag_parents: bool = True,
    credits: int | None = None,
    cost_of: Iterable[Model] = (),
    video: bool = False,
    likeness_of: Any = None,
) -> Asset:
    """Copy a finished call's image (or, with ``video``, its video) into the library: a new
    asset with its lineage (``parents``), recipe and cost, shown under ``character``. A result
    that looks like the image it was made from is of course not flagged "Similar" to it
    (``unflag_parents``). Raises ``ProviderError``, ``outputs.HeldBack`` or ``media.MediaError``.
    Parents that are None (an optional reference or clothing image not given) are left out.

    Its true cost is recorded with it: ``credits`` (its share of the job's charge) and what the
    provider billed for ``call`` and every other call made for ``cost_of`` (the image or job it
    was made for, and the failed jobs it retried; see ``delivery_cost``).

    After commit, the apps that follow deliveries (``jobs.deliveries``) are told, with the
    character it should look like: ``likeness_of`` (a wizard's candidate faces, which aren't shown
    under the character), else ``character``."""
    lineage = [p for p in parents if p is not None]
    url = outputs.output_video_url(call.output) if video else outputs.output_image_url(call.output)
    with outputs.output_download(call, url) as path:
        if video and media.sniff(path).kind != "video":
            raise Unusable("The provider's result wasn't a video, so nothing was saved.")
        asset = asset_create_from_file(
            org=org,
            path=path,
            filename=filename,
            title=title,
            source=source,
            created_by=created_by,
            parents=lineage,
            metadata={"recipe": recipe},
            nsfw=nsfw,
        )
    if asset.kind == Asset.Kind.VIDEO:  # some endpoints bill by the video they made, which only the file says
        media_facts = asset.metadata.get("media") or {}
        measured = {
            "width": asset.width,
            "height": asset.height,
            "duration": asset.duration,
            "fps": media_facts.get("fps"),
        }
        gateway.call_cost_measured(call, measured)
    cost = delivery_cost(call, cost_of)
    fixes: dict[str, Any] = {
        "credits_cost": credits,
        "provider_cost_usd": cost.usd,
        "provider_cost_note": cost.note,
    }
    if character is not None:
        fixes["character"] = character
    subject = likeness_of if likeness_of is not None else character
    if subject is not None and asset.kind in (Asset.Kind.IMAGE, Asset.Kind.VIDEO):
        # Scored after commit (jobs.deliveries): "scoring" from the moment it exists, so nothing
        # reading it in between takes it for an item with no score.
        fixes["likeness_status"] = Asset.Likeness.PENDING
    if unflag_parents and asset.near_duplicate_of_id in {p.pk for p in lineage}:
        fixes["near_duplicate_of"] = None
    Asset.objects.filter(pk=asset.pk).update(**fixes)
    for name, value in fixes.items():
        setattr(asset, name, value)
    asset_id, subject_id = asset.pk, subject.pk if subject is not None else None
    transaction.on_commit(lambda: deliveries.asset_delivered(asset_id, subject_id), robust=True)
    return asset


@dataclass(frozen=True)
class DeliveryCost:
    """What providers billed for the calls behind one delivered result."""

    usd: Decimal | None  # the known part; None when no call's cost is known
    calls: int
    failed: int  # calls that failed or were cancelled: earlier attempts
    unknown: int  # calls whose cost the provider never told us
    demo: bool

    @property
    def note(self) -> str:
        """ "1 call", "3 calls, including 1 failed attempt; unknown for 1", "demo provider"."""
        if self.demo:
            return "demo provider"
        words = f"{self.calls} call{'' if self.calls == 1 else 's'}"
        if self.failed:
            words += f", including {self.failed} failed attempt{'' if self.failed == 1 else 's'}"
        if self.unknown:
            words += f"; unknown for {self.unknown}"
        return words


def delivery_cost(call: ProviderCall, cost_of: Iterable[Model] = ()) -> DeliveryCost:
    """The cost of ``call`` and of every call made for ``cost_of`` (``ProviderCall.subject``): the
    earlier steps of a chain (describe → generate → try on, segment → inpaint) and the attempts
    that failed before it, which the provider may have billed (Replicate bills failed runs)."""
    wanted = Q(pk=call.pk)
    for subject in cost_of:
        wanted |= Q(subject_type=ContentType.objects.get_for_model(subject), subject_id=str(subject.pk))
    rows = list(ProviderCall.objects.filter(wanted).values_list("status", "cost_usd", "provider"))
    known = [cost for _status, cost, _provider in rows if cost is not None]
    return DeliveryCost(
        usd=sum(known, Decimal(0)) if known else None,
        calls=len(rows),
        failed=sum(1 for status, _cost, _provider in rows if status != ProviderCall.Status.SUCCEEDED),
        unknown=len(rows) - len(known),
        demo=all(provider == "demo" for _status, _cost, provider in rows),
    )


# --- Settling -------------------------------------------------------------------------------------


def job_lock(model: type[J], job_id: int, *related: str) -> J:
    """The job row, locked (only it: not the rows it joins), with ``related`` loaded."""
    return _rows(model).select_for_update(of=("self",)).select_related("hold", *related).get(pk=job_id)


def job_finish(job: Job, status: str, error: str = "", *, charge: int | None = None, **fields: Any) -> None:
    """With ``job`` locked: record how it ended (and ``fields``) and settle its hold exactly once.

    ``charge``: the credits to capture; by default all of them when it succeeded, none otherwise.
    Whatever isn't captured is released with ``error`` as the reason. The job's creator is told how
    it ended after the commit (``jobs.notices``), whatever its kind.
    """
    if job.status in ACTIVE and status not in ACTIVE:  # once per job: only the end of an active one
        job_ended(job)
    job.status, job.error, job.finished_at = status, error, timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "error", "finished_at", "updated_at", *fields])
    if job.hold is not None:  # no query when there's no hold
        hold_settle(
            job.hold,
            charge=job.hold.amount if charge is None and status == JobStatus.SUCCEEDED else charge,
            reason=error or "Nothing was delivered.",
        )


def job_ended(job: Job) -> None:
    """Once a job has stopped being active: tell its creator how it ended, after the commit
    (``jobs.notices``). ``job_finish`` calls it; a kind that settles itself (a pack, from its
    images) calls it when it does."""
    from jobs.notices import job_notify  # notices reads the job centre's selectors, built on this module

    transaction.on_commit(partial(job_notify, type(job), job.pk), robust=True)


def hold_settle(hold: Hold, *, charge: int | None, reason: str) -> None:
    """Capture ``charge`` credits of ``hold`` (the rest is released with it), or release it all when
    ``charge`` is 0 or None."""
    if charge:
        hold_capture(hold=hold, amount=charge)
    else:
        hold_release(hold=hold, reason=reason)


def job_finish_if_active(model: type[J], job_id: int, status: str, error: str, *related: str) -> J | None:
    """Lock the job and finish it if nothing settled it first (a cancel, a duplicate task)."""
    with transaction.atomic():
        job = job_lock(model, job_id, *related)
        if job.status in ACTIVE:
            job_finish(job, status, error)
            return job
    return None


def cancelled_by(user: User | None) -> str:
    return f"Cancelled by {user.display_name if user else 'support'}."
