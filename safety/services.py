"""Writes of the safety app: screening text where it is saved or submitted (and recording what
was refused), and staff clearing an account review.

``text_screen`` is what other apps call: it raises ``MinorsRefused`` with the field and a message
that says what to change, after recording a ``SafetyEvent``. Call it before opening a
transaction (or catch the refusal inside it), so the record isn't rolled back with the caller's
work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from orgs.models import Organization
from safety.models import AccountReview, SafetyEvent
from safety.screen import Decision, MinorsRefused, screen
from safety.signals import safety_refused

log = logging.getLogger(__name__)


def text_screen(
    texts: Iterable[str] | str,
    *,
    org: Organization | None,
    user: User | None,
    where: str,
    field: str | None = None,
    nsfw: bool = False,
    subject: str = "Prompts",
    hint: str = "",
) -> None:
    """Refuse (``MinorsRefused``, on ``field``) if any of ``texts`` names or implies a minor, and
    record the refusal. Runs the rules only (no model is called from here): an uncertain finding in
    adult content is refused unless a moderator is configured, which the gateway then asks.

    ``subject`` starts the message ("Prompts can't mention children …"); ``hint`` ends it (where to
    change the words, when that isn't the field itself). For any new channel of text (motion
    prompts, style recipes …) call this where the text is saved or submitted, with its own ``where``."""
    decision = screen(texts, nsfw=nsfw, moderate=False)
    if decision.refused:
        refusal_record(decision=decision, org=org, user=user, where=where, field=field or "", nsfw=nsfw)
        raise MinorsRefused(decision, field=field, subject=subject, hint=hint)


def refusal_record(
    *,
    decision: Decision,
    org: Organization | None,
    user: User | None,
    where: str,
    field: str = "",
    nsfw: bool = False,
    reference: str = "",
) -> SafetyEvent:
    """Keep a refusal for staff, flag the account when it keeps trying, and send ``safety_refused``
    once this commits."""
    with transaction.atomic():
        event = SafetyEvent.objects.create(
            org=org,
            user=user,
            where=where[:40],
            field=field[:40],
            text=decision.text[:4000],
            matched=decision.matched[:200],
            normalised=decision.normalised[:200],
            rule=decision.rule[:20],
            decided_by=decision.decided_by[:12],
            reason=decision.reason[:200],
            nsfw=nsfw,
            reference=reference[:100],
        )
        if user is not None:
            _review_check(user, event)
    log.warning(
        "refused %r (%s, %s) in org %s from %s",
        decision.matched,
        decision.rule,
        decision.decided_by,
        org and org.pk,
        where,
    )
    transaction.on_commit(
        lambda: safety_refused.send(sender=SafetyEvent, event=event, org=org, user=user, where=where), robust=True
    )
    return event


def _review_check(user: User, event: SafetyEvent) -> None:
    """Open (or add to) a review when the user has ``SAFETY_REVIEW_THRESHOLD`` refusals within
    ``SAFETY_REVIEW_WINDOW_HOURS``, counting only those since their last review was cleared."""
    since = event.created_at - timedelta(hours=settings.SAFETY_REVIEW_WINDOW_HOURS)
    cleared = AccountReview.objects.filter(user=user, status=AccountReview.Status.CLEARED).order_by("-cleared_at")
    last_cleared = cleared.values_list("cleared_at", flat=True).first()
    if last_cleared and last_cleared > since:
        since = last_cleared
    recent = SafetyEvent.objects.filter(user=user, created_at__gt=since).count()
    open_review = AccountReview.objects.filter(user=user, status=AccountReview.Status.OPEN).first()
    if open_review is not None:
        open_review.refusals += 1
        open_review.last_refusal_at = event.created_at
        open_review.save(update_fields=["refusals", "last_refusal_at", "updated_at"])
    elif recent >= settings.SAFETY_REVIEW_THRESHOLD:
        try:
            with transaction.atomic():
                AccountReview.objects.create(user=user, refusals=recent, last_refusal_at=event.created_at)
        except IntegrityError:  # another refusal opened it a moment ago
            pass
        else:
            log.warning("user %s flagged for safety review after %s refusals", user.pk, recent)


@transaction.atomic
def review_clear(*, review: AccountReview, by: User, note: str = "") -> bool:
    """Close an open review (staff looked and found it harmless or dealt with it). False if it was
    already cleared."""
    moved = AccountReview.objects.filter(pk=review.pk, status=AccountReview.Status.OPEN).update(
        status=AccountReview.Status.CLEARED,
        cleared_at=timezone.now(),
        cleared_by=by,
        note=note or review.note,
        updated_at=timezone.now(),
    )
    return bool(moved)
