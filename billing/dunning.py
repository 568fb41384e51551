"""Failed payments: the grace period, and the plan an organisation has while it lasts and after.

A failed subscription payment opens a ``Dunning`` row with its grace date (``dunning_open``); the
organisation keeps its plan until then, and has the Free plan's limits after it
(``effective_plan``) until an invoice is paid (``dunning_resolve``). Stripe can deliver the two
events out of order, so a failure of an invoice already paid opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from billing.models import Dunning, Plan

if TYPE_CHECKING:
    from orgs.models import Organization


@dataclass(frozen=True)
class PaymentProblem:
    """An unpaid subscription invoice: since when, and until when the plan keeps working."""

    since: datetime
    grace_until: datetime

    def past_grace(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.grace_until


def payment_problem(org: Organization) -> PaymentProblem | None:
    """The organisation's unpaid invoice, or None when its payments are in order. One query."""
    row = Dunning.objects.filter(org_id=org.pk, status=Dunning.Status.PAST_DUE).values("since", "grace_until").first()
    return PaymentProblem(**row) if row else None


def effective_plan(org: Organization, now: datetime | None = None) -> Plan:
    """The plan whose limits apply now: the organisation's own, or the Free plan (the default one
    new organisations start on) once a failed payment is past its grace date."""
    problem = payment_problem(org)
    if problem is not None and problem.past_grace(now):
        return Plan.objects.filter(is_default=True).first() or org.plan
    return org.plan


@transaction.atomic
def dunning_open(*, org: Organization, invoice_id: str, grace_until: datetime) -> Dunning | None:
    """Record that paying ``invoice_id`` failed. While a problem is open its first grace date
    stands: Stripe's retries of the same or the next invoice don't extend it. None, changing
    nothing, if that invoice was paid already (its failure arrived late)."""
    now = timezone.now()
    dunning, created = Dunning.objects.select_for_update().get_or_create(
        org=org, defaults={"invoice_id": invoice_id, "since": now, "grace_until": grace_until}
    )
    if created or dunning.status == Dunning.Status.PAST_DUE:
        return dunning
    if dunning.invoice_id == invoice_id:
        return None
    dunning.status = Dunning.Status.PAST_DUE
    dunning.invoice_id = invoice_id
    dunning.since = now
    dunning.grace_until = grace_until
    dunning.resolved_at = None
    dunning.save()
    return dunning


@transaction.atomic
def dunning_resolve(*, org: Organization, invoice_id: str) -> bool:
    """An invoice was paid: the organisation's payments are in order again. True if that ended a
    problem. Remembers the invoice, so a late failure of it doesn't open a new one."""
    now = timezone.now()
    dunning, created = Dunning.objects.select_for_update().get_or_create(
        org=org,
        defaults={
            "status": Dunning.Status.RESOLVED,
            "invoice_id": invoice_id,
            "since": now,
            "grace_until": now,
            "resolved_at": now,
        },
    )
    if created:
        return False
    was_open = dunning.status == Dunning.Status.PAST_DUE
    dunning.invoice_id = invoice_id
    if was_open:
        dunning.status = Dunning.Status.RESOLVED
        dunning.resolved_at = now
    dunning.save()
    return was_open
