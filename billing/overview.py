"""What the Billing page shows about payments: the paid plan's status and renewal, invoices,
top-up packs, and a fresh nonce for each payment form (so a double click makes one Checkout)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from billing import checkout, stripe_setup
from billing.stripe_sync import ROLLOVER_RULE

if TYPE_CHECKING:
    from orgs.models import Organization


def billing_overview(org: Organization) -> dict[str, Any]:
    row = stripe_setup.summary(org)
    return {
        "subscription": row,
        "has_paid_plan": row.status in {row.Status.ACTIVE, row.Status.PAST_DUE} and bool(row.stripe_subscription_id),
        "invoices": checkout.invoices(org),
        "topups": checkout.TOPUPS,
        "nonce": checkout.new_nonce(),
        "rollover_rule": ROLLOVER_RULE,
        "stripe_test_mode": stripe_setup.is_test_mode(),
        "stripe_local": stripe_setup.is_local(),
    }
