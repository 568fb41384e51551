"""The provider gateway: every AI call goes through here, from any domain app.

A domain service calls ``call_create`` inside its transaction. After commit a worker submits
the call to the provider's queue (``call_submit``) and returns; the GPU work happens elsewhere.
The result arrives by a verified webhook (``providers.views``), by the poller (``call_poll``) for
calls whose webhook never came, or, for the demo provider, from its local task. Each path ends in
``call_apply_status``, whose compare-and-set updates make duplicates and stragglers no-ops, and which
records what the provider charges (``providers.prices``). When a call finishes, ``call_finish`` runs
the domain's handler in a worker: it copies the outputs into our storage and settles the domain job
(and its credits). A call whose request may have reached the provider (``sent_at``) is never
submitted again, since a second request is a second bill (see ``call_submit``).

Handlers are registered by name in ``providers.handlers`` (each job kind imports and registers
its own) and called as ``handler(call, event, *, last_attempt)`` with event ``"running"`` or
``"finished"``. They must be idempotent: a worker may die half-way through and the task run again.
Inputs pointing at our own files are markers that ``providers.inputs`` resolves at every submit.

Every request passes the minors screen (``safety.requests.request_screen``) in ``call_submit``,
right after its inputs are resolved and before anything is sent: whichever channel built it, a
request naming or implying a minor fails there, unbilled, with the reason, and is kept as a safety
event. The domain handler then settles the job as for any failed call (credits returned).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Model
from django.urls import reverse
from django.utils import timezone

from billing.limits import queue_priority
from core.jobs import transition
from providers import handlers, inputs, prices, registry
from providers.adapters import get_adapter
from providers.adapters.base import ProviderError, Status
from providers.models import ProviderCall
from safety.requests import request_screen

log = logging.getLogger(__name__)

MAX_SUBMIT_ATTEMPTS = 3
MAX_FINISH_ATTEMPTS = 4
# How often the poller asks about a call: soon and often without webhooks, rarely with them.
POLL_WITHOUT_WEBHOOK = (3, 5, 10, 20, 30)
POLL_WITH_WEBHOOK = 120
STALE_PENDING = timedelta(minutes=2)
STALE_SUBMITTING = timedelta(minutes=3)
STALE_UNHANDLED = timedelta(minutes=5)

QUEUES = {
    "train_lora": "training",
    "train_lora_zimage": "training",
    "image_to_video": "video",
    "image_to_video_fast": "video",
    "image_to_video_wan": "video",
    "animate_replace": "video",
    "animate_move": "video",
    "video_upscale": "video",
}


def queue_for(operation: str) -> str:
    return QUEUES.get(operation, "generation")


def call_route(call: ProviderCall) -> dict[str, Any]:
    """Where a call's task goes: its operation's queue, at its organisation's plan priority (paid
    plans ahead of Free, ``billing.limits.queue_priority``). Every task about a call is sent with it."""
    return {"queue": queue_for(call.operation), "priority": queue_priority(call.org)}


def backoff(attempt: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: a random wait up to base·2^attempt (capped)."""
    return random.uniform(0, min(cap, base * 2**attempt))


# --- Creating and submitting ---------------------------------------------------------------


def call_create(
    *, org, operation: str, input: dict, handler: handlers.CallHandler, subject: Model | None = None
) -> ProviderCall:
    """A new call, submitted by a worker once the caller's transaction commits; ``handler`` settles
    the domain job when the call starts and finishes. ``subject``: the job (or the job's item) it
    works for, so its cost adds up to what that job delivers."""
    from providers import tasks

    provider, endpoint_id = registry.resolve(operation)
    call = ProviderCall.objects.create(
        org=org,
        operation=operation,
        provider=provider,
        endpoint_id=endpoint_id,
        input=input,
        handler=handler.name,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
    )
    route = call_route(call)
    transaction.on_commit(lambda: tasks.call_submit.apply_async(args=(call.pk,), **route), robust=True)
    return call


def webhook_base() -> str:
    """The public https origin providers can reach, or '' when there is none (then we poll)."""
    if settings.PROVIDER_PUBLIC_URL:
        return settings.PROVIDER_PUBLIC_URL
    return settings.SITE_URL if settings.SITE_URL.startswith("https://") else ""


def webhook_url(call: ProviderCall) -> str | None:
    base = webhook_base()
    if call.provider not in ("fal", "replicate") or not base:
        return None
    return base + reverse("providers:webhook", args=[call.provider, call.webhook_token])


class SubmitLater(Exception):
    def __init__(self, countdown: float):
        super().__init__(countdown)
        self.countdown = countdown


def call_submit(call_id: int) -> None:
    """Send a pending call to its provider. Raises ``SubmitLater`` to be retried after a pause.

    ``sent_at`` is committed before the request goes out. A worker killed after that point, or a
    request whose answer got lost on the way back (a read timeout), may have been queued and billed
    at the provider, so the call is never sent again: the provider's webhook, which carries the
    call's token in its URL, fills in the request id, or the sweeper gives up on it. Only an error
    the provider answered (an HTTP error status) or a connection never made is retried.
    """
    now = timezone.now()
    moved = transition(
        ProviderCall,
        call_id,
        from_=(ProviderCall.Status.PENDING,),
        to=ProviderCall.Status.SUBMITTING,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not moved:
        return  # already submitted, finished or cancelled: a duplicate task
    call = ProviderCall.objects.get(pk=call_id)
    try:
        arguments = inputs.resolve(call, call.input)
        if refusal := request_screen(
            arguments,
            org=call.org,
            user=call_user(call),
            where=f"provider:{call.operation}",
            reference=f"call {call.pk}",
        ):
            call_apply_status(call_id, Status("failed", error=refusal), cost=prices.NOT_BILLED)
            return
        hook = webhook_url(call)
        sent = ProviderCall.objects.filter(
            pk=call_id, status=ProviderCall.Status.SUBMITTING, sent_at__isnull=True
        ).update(sent_at=now, deadline_at=now + registry.deadline(call.operation), webhook_requested=bool(hook))
        if not sent:
            return  # cancelled while we resolved the inputs
        call.webhook_requested = bool(hook)
        # One transaction around the request and its record, so what the adapter schedules on
        # commit (the demo provider's work) starts only once the request id is stored.
        with transaction.atomic():
            submitted = get_adapter(call.provider).submit(
                endpoint_id=call.endpoint_id, arguments=arguments, webhook_url=hook
            )
            _record_submitted(call, submitted, now)
    except ProviderError as exc:
        sent = ProviderCall.objects.filter(pk=call_id, sent_at__isnull=False).exists()
        if sent and exc.transient and may_have_queued(exc):
            log.warning("provider call %s: no clear answer to the submit (%s); not sending it again", call_id, exc)
            call_lost_at_provider(call_id, error=exc.message)
            return
        if exc.transient and call.attempts < MAX_SUBMIT_ATTEMPTS:
            transition(
                ProviderCall,
                call_id,
                from_=(ProviderCall.Status.SUBMITTING,),
                to=ProviderCall.Status.PENDING,
                error=exc.message,
                sent_at=None,
                deadline_at=None,
                webhook_requested=False,
            )
            log.warning("provider call %s: submit failed (%s), retrying", call_id, exc.message)
            raise SubmitLater(max(backoff(call.attempts), exc.retry_after or 0.0)) from exc
        log.warning("provider call %s: submit failed for good: %s", call_id, exc.message)
        call_apply_status(call_id, Status("failed", error=exc.message), cost=prices.NOT_BILLED)


def call_user(call: ProviderCall):
    """Who asked for ``call``, for the safety record: the ``created_by`` of its subject (a job) or
    of the subject's job (one image of a pack); None when there is none."""
    subject = call.subject
    for owner in (subject, getattr(subject, "job", None)):
        user = getattr(owner, "created_by", None)
        if user is not None:
            return user
    return None


# Errors raised before a single byte of the request left: the provider can't have queued it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def may_have_queued(exc: ProviderError) -> bool:
    """Could the provider have queued the request despite this error? Not when it answered with an
    HTTP error, nor when we never connected; a read timeout, a dropped connection or an answer we
    couldn't read leave it unknown."""
    if exc.status_code and exc.status_code >= 400:
        return False
    cause = exc.__cause__
    while isinstance(cause, ProviderError):
        cause = cause.__cause__
    return not isinstance(cause, _NOT_SENT)


LOST_TRACK = "We lost track of this request at the provider, so we stopped waiting for it. Please try again."
NO_WORD = "We sent this request to the provider but never heard back, so we stopped waiting. Please try again."


def call_lost_at_provider(call_id: int, *, error: str = "") -> None:
    """A sent call whose request id we don't have. With a webhook URL the provider will still tell
    us (the URL names the call), so it waits for that until its deadline; without one nothing ever
    will, so it fails now. ``error`` is kept on a waiting call for staff."""
    call = ProviderCall.objects.get(pk=call_id)
    if call.webhook_requested:
        ProviderCall.objects.filter(pk=call_id, status=ProviderCall.Status.SUBMITTING).update(error=error[:2000])
        return
    call_apply_status(call_id, Status("failed", error=LOST_TRACK), cost=prices.UNKNOWN)


def _record_submitted(call: ProviderCall, submitted, now) -> None:
    call_id = call.pk
    deadline = now + registry.deadline(call.operation)
    first_poll = POLL_WITH_WEBHOOK if call.webhook_requested else POLL_WITHOUT_WEBHOOK[0]
    moved = transition(
        ProviderCall,
        call_id,
        from_=(ProviderCall.Status.SUBMITTING,),
        to=ProviderCall.Status.QUEUED,
        request_id=submitted.request_id,
        queue_position=submitted.queue_position,
        submitted_at=now,
        deadline_at=deadline,
        next_poll_at=now + timedelta(seconds=first_poll),
        error="",
    )
    if not moved:  # a fast webhook or a cancel got there first; keep the id for the record
        ProviderCall.objects.filter(pk=call_id, request_id__isnull=True).update(
            request_id=submitted.request_id, submitted_at=now
        )
        if ProviderCall.objects.filter(pk=call_id, status=ProviderCall.Status.CANCELLED).exists():
            transaction.on_commit(lambda: call_cancel_at_provider(call_id))  # cancelled mid-submit
        return
    if submitted.immediate is not None:
        call_apply_status(call_id, submitted.immediate)


# --- Status: from webhooks, the poller and the demo provider ---------------------------------


def call_apply_status(call_id: int, status: Status, *, cost: prices.Cost | None = None) -> bool:
    """Record what the provider told us. True if it moved the call forward. A final status records
    the call's cost (``providers.prices``), unless ``cost`` says it."""
    from providers import tasks

    now = timezone.now()
    calls = ProviderCall.objects.filter(pk=call_id)
    if status.state == "queued":
        calls.filter(status=ProviderCall.Status.QUEUED).update(queue_position=status.queue_position)
        return False
    if status.state == "running":
        moved = transition(
            ProviderCall,
            call_id,
            from_=(ProviderCall.Status.SUBMITTING, ProviderCall.Status.QUEUED),
            to=ProviderCall.Status.RUNNING,
            started_at=now,
            queue_position=None,
        )
        if moved:
            _dispatch(call_id, "running", last_attempt=True)
        return bool(moved)
    target = {
        "succeeded": ProviderCall.Status.SUCCEEDED,
        "failed": ProviderCall.Status.FAILED,
        "cancelled": ProviderCall.Status.CANCELLED,
    }[status.state]
    call = calls.values("operation", "provider", "endpoint_id", "input").get()
    moved = transition(
        ProviderCall,
        call_id,
        from_=ProviderCall.AT_PROVIDER,
        to=target,
        output=status.output,
        error=status.error[:2000],
        finished_at=now,
        queue_position=None,
        next_poll_at=None,
        **(cost or _cost(call, status)).fields(),
    )
    if moved:
        transaction.on_commit(
            lambda: tasks.call_finish.apply_async(
                args=(call_id,), **call_route(ProviderCall.objects.select_related("org").get(pk=call_id))
            ),
            robust=True,
        )
    else:
        _record_late_cost(call_id, call, status)
    return bool(moved)


def _cost(call: Mapping[str, Any], status: Status) -> prices.Cost:
    return prices.call_cost(
        provider=call["provider"],
        endpoint_id=call["endpoint_id"],
        input=call["input"],
        state=status.state,
        output=status.output,
        metrics=status.metrics,
    )


def _record_late_cost(call_id: int, call: Mapping[str, Any], status: Status) -> None:
    """A final status for a call that had already finished (we gave up on it, or cancelled it)
    still says what the provider billed: a late success at fal, a cancelled run's time at Replicate."""
    cost = _cost(call, status)
    if status.state == "succeeded" or (cost.usd is not None and cost.usd > 0):
        ProviderCall.objects.filter(pk=call_id, status__in=ProviderCall.FINISHED).exclude(
            status=ProviderCall.Status.SUCCEEDED
        ).update(**cost.fields())


def call_apply_status_by_request(provider: str, request_id: str, status: Status) -> bool:
    call_id = ProviderCall.objects.filter(provider=provider, request_id=request_id).values_list("pk", flat=True).first()
    if call_id is None:
        log.warning("status for an unknown %s request %s ignored", provider, request_id)
        return False
    return call_apply_status(call_id, status)


def call_poll(call_id: int) -> None:
    """Ask the provider where a call is (for calls whose webhook hasn't come)."""
    call = ProviderCall.objects.filter(pk=call_id, status__in=ProviderCall.AT_PROVIDER).first()
    if call is None or not call.request_id:
        return
    polls = call.polls + 1
    interval = (
        POLL_WITH_WEBHOOK if call.webhook_requested else POLL_WITHOUT_WEBHOOK[min(polls, len(POLL_WITHOUT_WEBHOOK) - 1)]
    )
    ProviderCall.objects.filter(pk=call_id).update(
        polls=polls, next_poll_at=timezone.now() + timedelta(seconds=interval)
    )
    try:
        status = get_adapter(call.provider).status(endpoint_id=call.endpoint_id, request_id=call.request_id)
    except ProviderError as exc:
        if not exc.transient:
            call_apply_status(call_id, Status("failed", error=exc.message))
        else:
            log.info("provider call %s: poll failed (%s), will ask again", call_id, exc.message)
        return
    call_apply_status(call_id, status)


def calls_due_for_poll(limit: int = 200) -> list[int]:
    return list(
        ProviderCall.objects.filter(
            status__in=(ProviderCall.Status.QUEUED, ProviderCall.Status.RUNNING), next_poll_at__lte=timezone.now()
        )
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:limit]
    )


# --- Finishing: the domain handler -----------------------------------------------------------


def _dispatch(call_id: int, event: handlers.Event, *, last_attempt: bool) -> None:
    handlers.dispatch(ProviderCall.objects.get(pk=call_id), event, last_attempt=last_attempt)


def call_finish(call_id: int, *, attempt: int = 0) -> None:
    """Run the domain handler for a finished call. Transient errors propagate for a retry."""
    last_attempt = attempt >= MAX_FINISH_ATTEMPTS - 1
    _dispatch(call_id, "finished", last_attempt=last_attempt)
    ProviderCall.objects.filter(pk=call_id, handled_at__isnull=True).update(handled_at=timezone.now())


def call_cancel(call: ProviderCall, *, reason: str = "Cancelled.") -> bool:
    """Stop a call: ours at once, the provider's on a best-effort basis. True if it was active."""
    from providers import tasks

    if call.sent_at is None:
        cost = prices.NOT_BILLED
    else:
        cost = prices.call_cost(
            provider=call.provider, endpoint_id=call.endpoint_id, input=call.input, state="cancelled"
        )
    moved = transition(
        ProviderCall,
        call.pk,
        from_=ProviderCall.ACTIVE,
        to=ProviderCall.Status.CANCELLED,
        error=reason,
        finished_at=timezone.now(),
        next_poll_at=None,
        **cost.fields(),
    )
    if moved:
        transaction.on_commit(lambda: tasks.call_cancel_at_provider.delay(call.pk), robust=True)
        transaction.on_commit(lambda: tasks.call_finish.apply_async(args=(call.pk,), **call_route(call)), robust=True)
    return bool(moved)


def call_cancel_at_provider(call_id: int) -> None:
    call = ProviderCall.objects.get(pk=call_id)
    if not call.request_id:
        return
    try:
        get_adapter(call.provider).cancel(endpoint_id=call.endpoint_id, request_id=call.request_id)
    except ProviderError as exc:
        log.info("provider call %s: cancel at the provider failed: %s", call_id, exc.message)


# --- Costs measured on the output ----------------------------------------------------------


def call_cost_measured(call: ProviderCall, measured: dict) -> None:
    """Record a finished call's cost from the video it delivered (``width``, ``height``,
    ``duration``, ``fps``), when neither its request nor its answer said how much video was made
    (Wan Animate, SeedVR). A cost already known is kept."""
    if call.cost_usd is not None or call.status != ProviderCall.Status.SUCCEEDED:
        return
    cost = prices.call_cost(
        provider=call.provider,
        endpoint_id=call.endpoint_id,
        input=call.input,
        state="succeeded",
        output=call.output,
        measured=measured,
    )
    if cost.usd is not None:
        ProviderCall.objects.filter(pk=call.pk, cost_usd__isnull=True).update(**cost.fields())
        call.cost_usd = cost.usd


# --- The sweeper -------------------------------------------------------------------------------


def calls_sweep(*, now=None) -> dict:
    """Find calls that stalled and move them on. Runs on beat every couple of minutes.

    - pending too long (the submit message was lost after commit): submit again;
    - submitting too long but never sent (a worker died before the request went out): back to
      pending and submit again, while attempts remain, else fail;
    - sent but without a request id (a worker died, or the answer was lost, after the request went
      out): never sent again. With a webhook URL it waits for the webhook until its deadline;
      without one it fails once the stale window has passed;
    - past their deadline at the provider: ask once more, then give up, cancel at the provider
      and fail (the domain handler returns the credits);
    - finished but never handled (the finish message was lost): handle again.
    """
    from providers import tasks

    now = now or timezone.now()
    counts = {"resubmitted": 0, "timed_out": 0, "lost": 0, "rehandled": 0}
    for call in ProviderCall.objects.filter(status=ProviderCall.Status.PENDING, updated_at__lt=now - STALE_PENDING):
        tasks.call_submit.apply_async(args=(call.pk,), **call_route(call))
        counts["resubmitted"] += 1
    stuck = ProviderCall.objects.filter(
        status=ProviderCall.Status.SUBMITTING,
        updated_at__lt=now - STALE_SUBMITTING,
        request_id__isnull=True,
        sent_at__isnull=True,
    )
    for call in stuck:
        if call.attempts < MAX_SUBMIT_ATTEMPTS:
            back = ProviderCall.objects.filter(pk=call.pk, status=ProviderCall.Status.SUBMITTING, sent_at__isnull=True)
            if back.update(status=ProviderCall.Status.PENDING):
                tasks.call_submit.apply_async(args=(call.pk,), **call_route(call))
                counts["resubmitted"] += 1
        else:
            failed = Status("failed", error="We couldn't reach the provider. Please try again.")
            call_apply_status(call.pk, failed, cost=prices.NOT_BILLED)
            counts["timed_out"] += 1
    unanswered = ProviderCall.objects.filter(
        status=ProviderCall.Status.SUBMITTING, request_id__isnull=True, sent_at__lt=now - STALE_SUBMITTING
    )
    for call in unanswered:
        waits_for_webhook = call.webhook_requested
        if waits_for_webhook and call.deadline_at and call.deadline_at >= now:
            continue
        message = NO_WORD if waits_for_webhook else LOST_TRACK
        if call_apply_status(call.pk, Status("failed", error=message), cost=prices.UNKNOWN):
            log.warning("provider call %s: sent at %s, never heard back; gave up", call.pk, call.sent_at)
            counts["lost"] += 1
    for call in ProviderCall.objects.filter(
        status__in=ProviderCall.AT_PROVIDER, deadline_at__lt=now, request_id__isnull=False
    ):
        call_poll(call.pk)
        minutes = int(registry.deadline(call.operation).total_seconds() // 60)
        message = f"The provider took longer than {minutes} minutes, so we stopped waiting."
        if call_apply_status(call.pk, Status("failed", error=message)):
            tasks.call_cancel_at_provider.delay(call.pk)
            counts["timed_out"] += 1
    unhandled = ProviderCall.objects.filter(
        status__in=ProviderCall.FINISHED, handled_at__isnull=True, finished_at__lt=now - STALE_UNHANDLED
    )
    for call in unhandled:
        tasks.call_finish.apply_async(args=(call.pk,), **call_route(call))
        counts["rehandled"] += 1
    return counts
