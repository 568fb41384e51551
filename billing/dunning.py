"""Failed payments: the grace period, and the plan an organisation has while it lasts and after.

One record holds it: the organisation's ``BillingSubscription``, which Stripe's webhooks keep equal
to the subscription as Stripe has it (billing/stripe_sync.py). A failed renewal makes it past due
with a grace date; the organisation keeps its plan until then and has the Free plan's limits after
it (``effective_plan``) until an invoice is paid and Stripe calls the subscription active again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from billing.models import BillingSubscription, Plan

if TYPE_CHECKING:
    from orgs.models import Organization


@dataclass(frozen=True)
class PaymentProblem:
    """An unpaid subscription renewal: until when the plan keeps working."""

    grace_until: datetime

    def past_grace(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.grace_until


def payment_problem(org: Organization) -> PaymentProblem | None:
    """The organisation's unpaid renewal, or None when its payments are in order. One query."""
    grace_until = (
        BillingSubscription.objects.filter(
            org_id=org.pk, status=BillingSubscription.Status.PAST_DUE, grace_until__isnull=False
        )
        .values_list("grace_until", flat=True)
        .first()
    )
    return PaymentProblem(grace_until=grace_until) if grace_until else None


def effective_plan(org: Organization, now: datetime | None = None) -> Plan:
    """The plan whose limits apply now: the organisation's own, or the Free plan (the default one
    new organisations start on) once a failed payment is past its grace date."""
    problem = payment_problem(org)
    if problem is not None and problem.past_grace(now):
        return Plan.objects.filter(is_default=True).first() or org.plan
    return org.plan
