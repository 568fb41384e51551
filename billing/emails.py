"""Billing emails: the receipt for each paid invoice, a failed payment, a plan change, and low
credits. Each is sent once, after the commit: a ``BillingEmail`` row with a unique key records it,
so Stripe repeating an event sends nothing twice.

Receipts, failed payments and plan changes go to the billing email and the owners; the low-credit
email to the owners and admins, who start the jobs. The receivers of ``billing.signals`` here also
open and close the grace period of a failed payment (``billing.dunning``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from billing import signals
from billing.models import BillingEmail, LedgerEntry
from core.emails import email_send
from orgs.models import Membership, Organization, Role

if TYPE_CHECKING:
    from billing.models import Plan

logger = logging.getLogger(__name__)

Kind = BillingEmail.Kind

# Stripe amounts are in the currency's smallest unit; these currencies have no minor unit.
_ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


def money(amount: int, currency: str) -> str:
    """``money(7900, "usd")`` is "$79.00"; other currencies read "79.00 CHF"."""
    currency = (currency or "usd").lower()
    value = f"{amount:,}" if currency in _ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def _addresses(*groups) -> list[str]:
    """The addresses in order, each once whatever its case, blanks left out."""
    seen: set[str] = set()
    result = []
    for address in (a.strip() for group in groups for a in group if a):
        if address and address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def _member_emails(org: Organization, roles: tuple[str, ...]) -> list[str]:
    return list(
        Membership.objects.filter(org=org, role__in=roles, user__is_active=True)
        .order_by("created_at")
        .values_list("user__email", flat=True)
    )


def billing_recipients(org: Organization) -> list[str]:
    """The billing email, then the owners."""
    return _addresses([org.email], _member_emails(org, (Role.OWNER,)))


def low_credit_recipients(org: Organization) -> list[str]:
    return _addresses(_member_emails(org, (Role.OWNER, Role.ADMIN)))


def _billing_url(org: Organization) -> str:
    return settings.SITE_URL + reverse("orgs:billing", args=[org.slug])


def _record(*, org: Organization, kind: str, key: str, to: list[str]) -> bool:
    """Claim ``key``; False if that email was sent already (or is being sent by a concurrent call)."""
    try:
        with transaction.atomic():
            BillingEmail.objects.create(org=org, kind=kind, key=key[:200], recipients="\n".join(to))
    except IntegrityError:
        return False
    return True


def _epoch(value) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _invoice_context(org: Organization, invoice: dict) -> dict:
    return {
        "org": org,
        "invoice": invoice,
        "amount": money(invoice.get("amount_paid") or invoice.get("amount_due") or 0, invoice.get("currency", "usd")),
        "period_start": _epoch(invoice.get("period_start")),
        "period_end": _epoch(invoice.get("period_end")),
        "plan_name": invoice.get("plan_name") or org.plan.name,
        "billing_url": _billing_url(org),
    }


# --- The emails -----------------------------------------------------------------------------------


def receipt_email_send(*, org: Organization, invoice: dict) -> bool:
    """The receipt for a paid invoice, once per invoice; none for an invoice of nothing."""
    if not invoice.get("amount_paid"):
        return False
    to = billing_recipients(org)
    if not to or not _record(org=org, kind=Kind.RECEIPT, key=f"receipt:{invoice['id']}", to=to):
        return False
    # The credits the invoice paid for, if the Stripe side granted them already.
    granted = invoice.get("credits_granted")
    if granted is None:
        granted = (
            LedgerEntry.objects.filter(idempotency_key=f"stripe-invoice:{invoice['id']}")
            .values_list("amount", flat=True)
            .first()
        )
    email_send(prefix="billing_receipt", to=to, context={**_invoice_context(org, invoice), "credits": granted})
    return True


def payment_failed_email_send(*, org: Organization, invoice: dict, grace_until: datetime) -> bool:
    """What failed, until when the plan keeps working, and the way to fix the card; once per invoice."""
    to = billing_recipients(org)
    if not to or not _record(org=org, kind=Kind.PAYMENT_FAILED, key=f"payment-failed:{invoice['id']}", to=to):
        return False
    email_send(
        prefix="billing_payment_failed",
        to=to,
        # The Billing page's "Manage billing" button, which opens Stripe's page for changing the card.
        context={
            **_invoice_context(org, invoice),
            "grace_until": grace_until,
            "fix_url": _billing_url(org) + "#manage-billing",
        },
    )
    return True


def plan_changed_email_send(
    *, org: Organization, old_plan: Plan | None, new_plan: Plan, effective: datetime | None
) -> bool:
    """Old plan to new, when, and the new plan's limits. A repeat of the last change sent is
    skipped; the same change again after a different one is news and is sent."""
    if effective is not None and effective <= timezone.now():
        effective = None
    about = f"plan-changed:{org.public_id}:{old_plan.slug if old_plan else ''}>{new_plan.slug}:"
    about += effective.isoformat() if effective else "now"
    last_key, last_id = (
        BillingEmail.objects.filter(org_id=org.pk, kind=Kind.PLAN_CHANGED).values_list("key", "id").first()
    ) or ("", 0)
    if last_key.rsplit("#", 1)[0] == about:
        return False
    to = billing_recipients(org)
    # Keyed on the email before it: two deliveries of one change can't both pass the check above.
    if not to or not _record(org=org, kind=Kind.PLAN_CHANGED, key=f"{about}#{last_id}", to=to):
        return False
    email_send(
        prefix="billing_plan_changed",
        to=to,
        context={
            "org": org,
            "old_plan": old_plan,
            "new_plan": new_plan,
            "effective": effective,
            "billing_url": _billing_url(org),
        },
    )
    return True


def low_credit_email_send(*, org_id: int, entry_id: int, available: int, threshold: int) -> bool:
    """Credits fell below the organisation's threshold (billing.services decides, once per crossing;
    this runs after that commit). ``entry_id``: the ledger entry that crossed it."""
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        return False
    to = low_credit_recipients(org)
    with transaction.atomic():
        if not to or not _record(org=org, kind=Kind.LOW_CREDIT, key=f"low-credit:{entry_id}", to=to):
            return False
        email_send(
            prefix="billing_low_credit",
            to=to,
            context={
                "org": org,
                "available": available,
                "threshold": threshold,
                "billing_url": _billing_url(org),
                "credits_url": settings.SITE_URL + reverse("billing:credits", args=[org.slug]),
            },
        )
    return True


# --- Receivers ------------------------------------------------------------------------------------


def _send_logged(send, **kwargs) -> None:
    """An email that can't be sent must not fail the webhook that reported the payment: its
    savepoint is undone, so Stripe's next delivery tries again, and the error is logged."""
    try:
        with transaction.atomic():
            send(**kwargs)
    except Exception:
        logger.exception("Billing email %s for %s failed", send.__name__, kwargs.get("org"))


@receiver(signals.invoice_paid, dispatch_uid="billing.emails.invoice_paid")
def _on_invoice_paid(sender, *, org: Organization, invoice: dict, **kwargs) -> None:
    _send_logged(receipt_email_send, org=org, invoice=invoice)


@receiver(signals.payment_failed, dispatch_uid="billing.emails.payment_failed")
def _on_payment_failed(sender, *, org: Organization, invoice: dict, grace_until: datetime, **kwargs) -> None:
    _send_logged(payment_failed_email_send, org=org, invoice=invoice, grace_until=grace_until)


@receiver(signals.plan_changed, dispatch_uid="billing.emails.plan_changed")
def _on_plan_changed(
    sender, *, org: Organization, old_plan: Plan | None, new_plan: Plan, effective: datetime | None = None, **kwargs
) -> None:
    _send_logged(plan_changed_email_send, org=org, old_plan=old_plan, new_plan=new_plan, effective=effective)
