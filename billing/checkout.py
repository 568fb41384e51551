"""Starting payments: Stripe Checkout for a plan or a top-up pack, and the customer portal.

Nothing is granted here. Credits and plan changes arrive only from Stripe's webhooks
(billing/receivers.py); the pages after checkout wait for them.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from billing import stripe_setup
from billing.models import Plan
from core.exceptions import DomainError

if TYPE_CHECKING:
    from orgs.models import Organization

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopUp:
    slug: str
    credits: int
    price_cents: int

    @property
    def lookup_key(self) -> str:
        return f"personae-topup-{self.credits}"

    @property
    def price_dollars(self) -> int:
        return self.price_cents // 100

    @property
    def name(self) -> str:
        return f"{self.credits:,} credits"


# PRODUCT.md §6: top-up packs. Their Stripe prices are found by lookup key (manage.py sync_plans).
TOPUPS = [TopUp("1000", 1000, 1500), TopUp("5000", 5000, 6500)]
TOPUPS_BY_SLUG = {t.slug: t for t in TOPUPS}
PLAN_LOOKUP_PREFIX = "personae-plan-"


def new_nonce() -> str:
    """One per rendered form: a double-clicked button sends the same nonce twice, and Stripe
    answers the second create with the first session (the nonce is in the idempotency key)."""
    return secrets.token_urlsafe(16)


def _urls(org: Organization) -> tuple[str, str]:
    base = settings.SITE_URL.rstrip("/")
    done = base + reverse("billing:checkout_done", args=[org.slug]) + "?session_id={CHECKOUT_SESSION_ID}"
    back = base + reverse("orgs:billing", args=[org.slug])
    return done, back


def _session(
    org: Organization, *, mode: str, price_id: str, nonce: str, extra: dict[str, Any], metadata: dict | None = None
) -> str:
    from djstripe.settings import djstripe_settings

    if not nonce or len(nonce) > 64:
        raise DomainError("This form is out of date. Reload the page and try again.")
    customer = stripe_setup.customer_id(org)
    success_url, cancel_url = _urls(org)
    session = stripe.checkout.Session.create(
        mode=mode,
        customer=customer,
        line_items=[{"price": price_id, "quantity": 1}],
        client_reference_id=str(org.pk),
        metadata={djstripe_settings.SUBSCRIBER_CUSTOMER_KEY: str(org.pk), "org_id": str(org.pk), **(metadata or {})},
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"checkout:{org.pk}:{price_id}:{nonce}",
        **extra,
        **stripe_setup.api_options(),
    )
    assert session.url  # a new session is open, so it has a URL
    return session.url


def subscription_checkout_url(org: Organization, plan: Plan, nonce: str) -> str:
    if plan.is_free or not plan.stripe_price_id:
        raise DomainError(f"The {plan.name} plan isn't for sale yet: run manage.py sync_plans.")
    current = stripe_setup.summary(org)
    if current.status in {current.Status.ACTIVE, current.Status.PAST_DUE} and current.stripe_subscription_id:
        raise DomainError("You already have a paid plan. Change it from Manage billing.")
    return _session(
        org,
        mode="subscription",
        price_id=plan.stripe_price_id,
        nonce=nonce,
        extra={"subscription_data": {"metadata": {"org_id": str(org.pk), "plan": plan.slug}}},
    )


def topup_price_id(topup: TopUp) -> str:
    prices = stripe.Price.list(lookup_keys=[topup.lookup_key], active=True, **stripe_setup.api_options())
    if not prices.data:
        raise DomainError("Top-ups aren't for sale yet: run manage.py sync_plans.")
    return prices.data[0].id


def topup_checkout_url(org: Organization, topup: TopUp, nonce: str) -> str:
    metadata = {"org_id": str(org.pk), "topup_credits": str(topup.credits), "kind": "topup"}
    return _session(
        org,
        mode="payment",
        price_id=topup_price_id(topup),
        nonce=nonce,
        extra={"payment_intent_data": {"metadata": metadata}},
        metadata=metadata,
    )


def portal_url(org: Organization) -> str:
    back = settings.SITE_URL.rstrip("/") + reverse("billing:portal_done", args=[org.slug])
    session = stripe.billing_portal.Session.create(
        customer=stripe_setup.customer_id(org), return_url=back, **stripe_setup.api_options()
    )
    return session.url


INVOICES_CACHE_SECONDS = 6 * 3600


def _invoices_cache_key(customer_id: str) -> str:
    return f"billing:invoices:{customer_id}"


def invoices_forget(customer_id: str | None) -> None:
    """Drop the cached invoice list of a customer: Stripe reported a change to one of its invoices."""
    if customer_id:
        cache.delete(_invoices_cache_key(customer_id))


def invoices(org: Organization, limit: int = 12) -> list[dict[str, Any]] | None:
    """The organisation's latest invoices from Stripe, for the Billing page: [] before it has a
    customer, None if Stripe can't be reached now. Cached until a webhook says an invoice changed
    (``invoices_forget``), so the page doesn't ask Stripe on every visit."""
    row = stripe_setup.summary(org)
    if not row.stripe_customer_id:
        return []
    key = _invoices_cache_key(row.stripe_customer_id)
    rows = cache.get(key)
    if rows is not None:
        return rows
    try:
        found = stripe.Invoice.list(customer=row.stripe_customer_id, limit=limit, **stripe_setup.api_options())
    except stripe.StripeError:
        logger.warning("Stripe invoices for %s couldn't be listed", org.slug, exc_info=True)
        return None
    rows = [
        {
            "number": inv.get("number") or inv["id"],
            "created": datetime.fromtimestamp(inv["created"], UTC),
            "total_dollars": inv["total"] / 100,
            "status": inv.get("status"),
            "hosted_invoice_url": inv.get("hosted_invoice_url"),
            "invoice_pdf": inv.get("invoice_pdf"),
        }
        for inv in (invoice.to_dict() for invoice in found.data)
    ]
    cache.set(key, rows, INVOICES_CACHE_SECONDS)
    return rows


def subscription_cancel_now(org: Organization) -> bool:
    """End the organisation's paid subscription at once, with no further charge: it is being
    deleted (privacy/deletion.py). True if there was one to cancel. Stripe keeps the customer, its
    invoices and payments, as the law requires; Stripe's ``customer.subscription.deleted`` event
    then finds no organisation and changes nothing. A Stripe error propagates, so the deletion
    stops and beat tries again later rather than deleting an organisation that is still billed."""
    from billing.models import BillingSubscription

    row = BillingSubscription.objects.filter(org_id=org.pk).first()
    live = {BillingSubscription.Status.ACTIVE, BillingSubscription.Status.PAST_DUE}
    if row is None or not row.stripe_subscription_id or row.status not in live:
        return False
    try:
        stripe.Subscription.cancel(row.stripe_subscription_id, **stripe_setup.api_options())
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "code", "") != "resource_missing":
            raise
    BillingSubscription.objects.filter(pk=row.pk).update(status=BillingSubscription.Status.CANCELED)
    return True
