"""What Stripe's events change in Personae: the organisation's plan and billing status, the
credits a paid invoice or top-up brings, and the top-up credits a refund or dispute takes back.

Every function is idempotent and keyed on Stripe's business ids (invoice, checkout session,
charge, dispute), never on event ids: Stripe delivers at least once and in any order, and the same
money can arrive as two events. State changes re-read the subscription from Stripe, so an
``updated`` that arrives before ``created`` still leaves the current state.

Unused credits: plan credits roll over up to one month's allowance; top-ups never expire. At each
renewal, plan credits above one allowance expire before the new allowance is added. Plan credits
are counted as spent before top-ups.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import services, signals, stripe_setup
from billing.models import BillingSubscription, CreditAccount, LedgerEntry, Plan
from orgs.models import Organization

logger = logging.getLogger(__name__)

ROLLOVER_RULE = "Plan credits roll over up to one month's allowance; top-ups never expire."
GRACE_DAYS = 7
Status = BillingSubscription.Status
STATUS_FROM_STRIPE = {
    "active": Status.ACTIVE,
    "trialing": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    "unpaid": Status.PAST_DUE,
    "canceled": Status.CANCELED,
    "incomplete_expired": Status.CANCELED,
}


def _ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def org_for(*, customer: str | None = None, metadata: dict | None = None) -> Organization | None:
    """The organisation a Stripe object belongs to: by our metadata, else by its customer."""
    org_id = (metadata or {}).get("org_id")
    if org_id and str(org_id).isdigit():
        org = Organization.objects.filter(pk=int(org_id)).first()
        if org:
            return org
    if customer:
        row = BillingSubscription.objects.filter(stripe_customer_id=customer).select_related("org").first()
        if row:
            return row.org
    return None


def _locked_summary(org: Organization) -> BillingSubscription:
    stripe_setup.summary(org)
    return BillingSubscription.objects.select_for_update().get(org_id=org.pk)


def _plan_for_price(price_id: str | None) -> Plan | None:
    return Plan.objects.filter(stripe_price_id=price_id).first() if price_id else None


def _set_plan(org: Organization, plan: Plan) -> None:
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if org.plan_id == plan.pk:
        return
    old = org.plan
    org.plan = plan
    org.plan_selected_at = timezone.now()
    org.save(update_fields=["plan", "plan_selected_at", "updated_at"])
    signals.plan_changed.send(sender=Organization, org=org, old_plan=old, new_plan=plan)


# --- Subscriptions -------------------------------------------------------------------------------------


def subscription_refresh(subscription_id: str) -> BillingSubscription | None:
    """Read the subscription from Stripe as it is now and mirror it onto its organisation."""
    sub = stripe.Subscription.retrieve(subscription_id, **stripe_setup.api_options())
    return subscription_apply(sub.to_dict())


def _scheduled_change(sub: dict[str, Any], period_end: datetime | None) -> tuple[Plan | None, datetime | None]:
    """The plan a subscription schedule moves to after this period (how the portal schedules a
    downgrade), and when: (None, None) when nothing is scheduled."""
    schedule = sub.get("schedule")
    if not schedule:
        return None, None
    if isinstance(schedule, str):
        schedule = stripe.SubscriptionSchedule.retrieve(schedule, **stripe_setup.api_options()).to_dict()
    if schedule.get("status") not in {"active", "not_started"}:
        return None, None
    current = (sub.get("items") or {}).get("data", [{}])[0].get("price", {}).get("id")
    after = period_end.timestamp() if period_end else 0
    for phase in schedule.get("phases") or []:
        items = phase.get("items") or [{}]
        price = items[0].get("price")
        price_id = price.get("id") if isinstance(price, dict) else price
        if (phase.get("start_date") or 0) >= after and price_id and price_id != current:
            return _plan_for_price(price_id), _ts(phase["start_date"])
    return None, None


@transaction.atomic
def subscription_apply(sub: dict[str, Any]) -> BillingSubscription | None:
    org = org_for(customer=sub.get("customer"), metadata=sub.get("metadata"))
    if org is None:
        logger.warning("Stripe subscription %s belongs to no organisation; ignored", sub.get("id"))
        return None
    row = _locked_summary(org)
    status = STATUS_FROM_STRIPE.get(sub["status"])
    if status is None:  # incomplete: nothing is paid yet
        return row
    if (
        row.stripe_subscription_id
        and row.stripe_subscription_id != sub["id"]
        and (status == Status.CANCELED or row.status in {Status.ACTIVE, Status.PAST_DUE})
    ):
        return row  # an older subscription, or a second one while the first runs
    item = (sub.get("items") or {}).get("data", [{}])[0]
    price = item.get("price") or {}
    row.stripe_customer_id = row.stripe_customer_id or sub.get("customer") or ""
    row.stripe_subscription_id = sub["id"]
    row.status = status
    row.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    row.current_period_end = _ts(item.get("current_period_end") or sub.get("current_period_end"))
    row.amount_cents = price.get("unit_amount") or 0
    if status == Status.PAST_DUE:
        row.grace_until = row.grace_until or timezone.now() + timedelta(days=GRACE_DAYS)
    else:
        row.grace_until = None
    if status == Status.CANCELED:
        row.cancel_at_period_end = False
        plan = Plan.objects.get(is_default=True)
    else:
        plan = _plan_for_price(price.get("id")) or row.plan or org.plan
    row.plan = None if status == Status.CANCELED else plan
    row.scheduled_plan, row.scheduled_change_at = (
        (None, None) if status == Status.CANCELED else _scheduled_change(sub, row.current_period_end)
    )
    row.save()
    _set_plan(org, plan)
    return row


# --- Invoices --------------------------------------------------------------------------------------------


def _invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription") or invoice.get("subscription")


def _line_price(line: dict[str, Any]) -> str | None:
    pricing = (line.get("pricing") or {}).get("price_details") or {}
    price = pricing.get("price") or line.get("price")
    return price.get("id") if isinstance(price, dict) else price


def _invoice_plans(invoice: dict[str, Any]) -> tuple[Plan | None, Plan | None]:
    """(the plan this invoice pays for, the plan it replaces on an upgrade's proration)."""
    new = old = None
    for line in (invoice.get("lines") or {}).get("data", []):
        plan = _plan_for_price(_line_price(line))
        if plan and line.get("amount", 0) >= 0:
            new = plan
        elif plan:
            old = plan
    return new, old


@transaction.atomic
def invoice_paid(invoice: dict[str, Any]) -> LedgerEntry | None:
    """Grant the plan's monthly credits once per paid subscription invoice (``stripe-invoice:<id>``).
    A renewal first lets plan credits above one month's allowance expire; an upgrade's proration
    invoice grants the difference between the two plans' allowances."""
    if invoice.get("status") != "paid":
        return None
    subscription_id = _invoice_subscription_id(invoice)
    if not subscription_id:
        return None
    row = subscription_refresh(subscription_id)  # events may arrive before customer.subscription.created
    metadata = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("metadata")
    org = row.org if row else org_for(customer=invoice.get("customer"), metadata=metadata)
    if org is None:
        return None
    plan, old_plan = _invoice_plans(invoice)
    if plan is None or not plan.monthly_credits:
        return None
    key = f"stripe-invoice:{invoice['id']}"
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return None  # this invoice already brought its credits (maybe under another event id)
    reason = invoice.get("billing_reason")
    amount = plan.monthly_credits
    description = f"{plan.name} plan: {plan.monthly_credits:,} monthly credits"
    if reason == "subscription_update":
        amount = plan.monthly_credits - (old_plan.monthly_credits if old_plan else 0)
        description = f"Upgrade to {plan.name}: the difference in monthly credits"
        if amount <= 0:
            return None
    elif reason == "subscription_cycle":
        _expire_plan_credits_over_allowance(org, plan, invoice["id"])
    entry = services.credits_grant(org=org, amount=amount, key=key, description=description)
    if entry is not None:
        signals.credits_granted.send(sender=LedgerEntry, org=org, amount=amount, entry=entry, reason="plan")
        signals.invoice_paid.send(sender=Organization, org=org, invoice=invoice)
    return entry


def _expire_plan_credits_over_allowance(org: Organization, plan: Plan, invoice_id: str) -> None:
    row = _locked_summary(org)
    account = services.credit_account(org)
    topups = min(row.topup_credits, account.balance)
    plan_part = account.balance - topups
    if topups != row.topup_credits:
        row.topup_credits = topups
        row.save(update_fields=["topup_credits", "updated_at"])
    over = plan_part - plan.monthly_credits
    if over > 0:
        services.credits_take_back(
            org=org,
            amount=over,
            key=f"stripe-rollover:{invoice_id}",
            description=f"Unused plan credits above one month's allowance expired ({ROLLOVER_RULE})",
        )


@transaction.atomic
def invoice_payment_failed(invoice: dict[str, Any]) -> BillingSubscription | None:
    """A renewal couldn't be charged: the subscription is past due, with a grace period (kept from
    the first failure while Stripe retries) before the Free plan's limits apply."""
    subscription_id = _invoice_subscription_id(invoice)
    if not subscription_id:
        return None
    row = subscription_refresh(subscription_id)  # Stripe marks the subscription past due
    if row is None or row.status != Status.PAST_DUE:
        return row  # paid since (a late event), or cancelled: nothing to tell anyone
    signals.payment_failed.send(sender=Organization, org=row.org, invoice=invoice, grace_until=row.grace_until)
    return row


# --- Top-ups --------------------------------------------------------------------------------------------


@transaction.atomic
def topup_paid(session: dict[str, Any]) -> LedgerEntry | None:
    """Grant a paid top-up pack once per Checkout Session (``stripe-checkout:<id>``)."""
    if session.get("mode") != "payment" or session.get("payment_status") != "paid":
        return None
    metadata = session.get("metadata") or {}
    credits = int(metadata.get("topup_credits") or 0)
    org = org_for(customer=session.get("customer"), metadata=metadata)
    if org is None or credits <= 0:
        return None
    entry = services.credits_grant(
        org=org, amount=credits, key=f"stripe-checkout:{session['id']}", description=f"Top-up: {credits:,} credits"
    )
    if entry is not None:
        row = _locked_summary(org)
        row.topup_credits += credits
        row.save(update_fields=["topup_credits", "updated_at"])
        signals.credits_granted.send(sender=LedgerEntry, org=org, amount=credits, entry=entry, reason="top-up")
    return entry


def _charge_topup(charge: dict[str, Any]) -> tuple[Organization | None, int]:
    metadata = charge.get("metadata") or {}
    if not metadata.get("topup_credits") and charge.get("payment_intent"):
        intent = stripe.PaymentIntent.retrieve(charge["payment_intent"], **stripe_setup.api_options())
        metadata = intent.to_dict().get("metadata") or {}
    credits = int(metadata.get("topup_credits") or 0)
    return org_for(customer=charge.get("customer"), metadata=metadata), credits


def _taken_back(charge_id: str) -> int:
    total = LedgerEntry.objects.filter(idempotency_key__startswith=f"stripe-clawback:{charge_id}:").aggregate(
        s=Sum("amount")
    )["s"]
    return -(total or 0)


@transaction.atomic
def _take_back(org: Organization, charge_id: str, target: int, key: str, why: str) -> LedgerEntry | None:
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return None
    services.credit_account(org)
    CreditAccount.objects.select_for_update().filter(org_id=org.pk).first()  # one refund at a time per org
    wanted = max(0, target - _taken_back(charge_id))
    entry = services.credits_take_back(
        org=org, amount=wanted, key=key, description=f"Top-up credits taken back after {why}"
    )
    if entry is not None:
        row = _locked_summary(org)
        row.topup_credits = max(0, row.topup_credits + entry.amount)
        row.save(update_fields=["topup_credits", "updated_at"])
        signals.credits_clawed_back.send(
            sender=LedgerEntry, org=org, amount=-entry.amount, entry=entry, reason=why.split()[0]
        )
    return entry


def charge_refunded(charge: dict[str, Any]) -> LedgerEntry | None:
    """Take back the refunded share of a top-up's credits, as far as they are unspent."""
    org, credits = _charge_topup(charge)
    if org is None or not credits or not charge.get("amount"):
        return None
    target = credits * charge["amount_refunded"] // charge["amount"]
    key = f"stripe-clawback:{charge['id']}:refund:{charge['amount_refunded']}"
    return _take_back(org, charge["id"], target, key, "a refund")


def dispute_created(dispute: dict[str, Any]) -> LedgerEntry | None:
    """A disputed top-up: take back all of its credits that are unspent."""
    charge = stripe.Charge.retrieve(dispute["charge"], **stripe_setup.api_options()).to_dict()
    org, credits = _charge_topup(charge)
    if org is None or not credits:
        return None
    key = f"stripe-clawback:{charge['id']}:dispute:{dispute['id']}"
    return _take_back(org, charge["id"], credits, key, "a dispute with the card's bank")
