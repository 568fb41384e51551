"""Royalty payouts: one Stripe Transfer per creator and month, and the statement email.

A creator's balance is the exact (Decimal) sum of their royalty rows; a payout moves the whole
cents of it, and the fraction of a cent stays for next time, so nothing is lost to rounding. Each
period's payout is one ``Payout`` row (unique per creator and period) whose Stripe Transfer carries
an idempotency key, so running the job twice makes one transfer. A transfer Stripe refuses leaves
the row failed with the error — the balance stays owed — and the next run tries it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from billing import stripe_setup
from core.emails import email_send
from licensing.models import CreatorProfile, Payout, RoyaltyEntry

log = logging.getLogger(__name__)


def previous_period(today=None) -> str:
    today = (today or timezone.now()).date()
    first = today.replace(day=1)
    last_month = first - timedelta(days=1)
    return last_month.strftime("%Y-%m")


def cents_down(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_DOWN))


@dataclass
class Balance:
    accrued: Decimal  # every royalty so far, exact
    paid_cents: int  # transfers Stripe accepted
    reserved_cents: int  # payouts made or waiting for a retry

    @property
    def paid(self) -> Decimal:
        return (Decimal(self.paid_cents) / 100).quantize(Decimal("0.01"))

    @property
    def owed(self) -> Decimal:
        return self.accrued - self.paid


def balance(profile: CreatorProfile, *, through: str | None = None) -> Balance:
    entries = RoyaltyEntry.objects.filter(profile=profile)
    if through:
        entries = entries.filter(period__lte=through)
    accrued = entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    payouts = Payout.objects.filter(profile=profile)
    paid = payouts.filter(status=Payout.Status.PAID).aggregate(total=Sum("amount_cents"))["total"] or 0
    reserved = payouts.aggregate(total=Sum("amount_cents"))["total"] or 0
    return Balance(accrued=accrued, paid_cents=paid, reserved_cents=reserved)


def payouts_run(today=None) -> int:
    """The monthly job: pay last month's balances over the minimum, retry failed transfers. Returns
    how many transfers went through."""
    period = previous_period(today)
    paid = 0
    for profile in CreatorProfile.objects.filter(payouts_enabled=True).exclude(stripe_account_id=""):
        try:
            payout = payout_prepare(profile=profile, period=period)
        except Exception:
            log.exception("Preparing the %s payout of creator %s failed", period, profile.pk)
            continue
        if payout is not None and payout_send(payout=payout):
            paid += 1
    for payout in Payout.objects.filter(status=Payout.Status.FAILED).exclude(period=period):
        paid += payout_send(payout=payout)
    return paid


def payout_prepare(*, profile: CreatorProfile, period: str, minimum_cents: int | None = None) -> Payout | None:
    """The period's payout row: the one made before (paid, or waiting for a retry), or a new one
    for the whole cents owed through ``period`` — None when that is under the minimum."""
    minimum = settings.LICENSING_PAYOUT_MINIMUM_CENTS if minimum_cents is None else minimum_cents
    with transaction.atomic():
        profile = CreatorProfile.objects.select_for_update().get(pk=profile.pk)
        existing = Payout.objects.filter(profile=profile, period=period).first()
        if existing is not None:
            return existing if existing.status != Payout.Status.PAID else None
        state = balance(profile, through=period)
        amount = cents_down(state.accrued) - state.reserved_cents
        if amount < max(minimum, 1):
            return None
        return Payout.objects.create(profile=profile, period=period, amount_cents=amount)


def payout_send(*, payout: Payout) -> bool:
    """Create the payout's Stripe Transfer (once: the idempotency key), record the answer."""
    payout = Payout.objects.select_related("profile").get(pk=payout.pk)
    if payout.status == Payout.Status.PAID:
        return False
    profile = payout.profile
    if not profile.payouts_enabled or not profile.stripe_account_id:
        return False
    try:
        transfer = stripe.Transfer.create(
            amount=payout.amount_cents,
            currency="usd",
            destination=profile.stripe_account_id,
            description=f"Personae royalties {payout.period}",
            metadata={"personae_creator": str(profile.public_id), "period": payout.period},
            transfer_group=f"royalties-{payout.period}",
            # A refused transfer was never made, so its retry may use a new key; a timeout may have
            # made it, so the retry of a request with no answer keeps the key.
            idempotency_key=f"licensing-payout:{payout.pk}:{payout.failures}",
            **stripe_setup.api_options(),
        )
    except stripe.StripeError as exc:
        refused = exc.http_status is not None and 400 <= exc.http_status < 500
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.FAILED,
            failures=payout.failures + (1 if refused else 0),
            error=(exc.user_message or str(exc))[:500],
        )
        log.warning("Royalty transfer %s for creator %s failed: %s", payout.period, profile.pk, exc)
        return False
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.PAID, transfer_id=transfer.id, error="", paid_at=timezone.now()
    )
    payout.refresh_from_db()
    statement_send(payout=payout)
    return True


def payout_now(*, profile: CreatorProfile) -> Payout | None:
    """The creator asked for their balance now (before deleting their account, say): this month's
    payout, with no minimum. None when nothing whole is owed, or this month's was already paid."""
    payout = payout_prepare(profile=profile, period=timezone.now().strftime("%Y-%m"), minimum_cents=1)
    if payout is not None:
        payout_send(payout=payout)
        payout.refresh_from_db()
    return payout


def statement(profile: CreatorProfile) -> list[dict]:
    """Per month: images, royalties accrued, and the payout of that period."""
    rows = (
        RoyaltyEntry.objects.filter(profile=profile)
        .values("period")
        .annotate(images=Count("id"), accrued=Sum("amount"))
        .order_by("-period")
    )
    payouts = {p.period: p for p in Payout.objects.filter(profile=profile)}
    months = [{**row, "payout": payouts.pop(row["period"], None)} for row in rows]
    months += [{"period": p, "images": 0, "accrued": Decimal(0), "payout": payout} for p, payout in payouts.items()]
    return sorted(months, key=lambda m: m["period"], reverse=True)


def statement_send(*, payout: Payout) -> None:
    profile = payout.profile
    month = next((m for m in statement(profile) if m["period"] == payout.period), None)
    email_send(
        prefix="licensing_statement",
        to=[profile.consent_email],
        context={
            "profile": profile,
            "payout": payout,
            "month": month,
            "balance": balance(profile),
            "dashboard_url": settings.SITE_URL.rstrip("/")
            + reverse("licensing:creator_dashboard", args=[profile.org.slug]),
        },
    )
