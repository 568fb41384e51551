"""How billing talks to Stripe: the API key and version, whether the local test-mode Stripe is
answering, and the organisation's Stripe customer.

With STRIPE_SECRET_KEY empty, stripe_local answers every call (see config/settings.py); nothing
here changes, which is the point: the same code path runs in the demo, the tests and production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from billing.models import BillingSubscription

if TYPE_CHECKING:
    from django.http import HttpRequest

    from orgs.models import Organization


def is_local() -> bool:
    """True when the local test-mode Stripe answers (no STRIPE_SECRET_KEY)."""
    return bool(getattr(settings, "STRIPE_LOCAL", False))


def is_test_mode() -> bool:
    return is_local() or not settings.STRIPE_LIVE_MODE


def api_options() -> dict[str, Any]:
    from djstripe.settings import djstripe_settings

    return {"api_key": djstripe_settings.STRIPE_SECRET_KEY, "stripe_version": djstripe_settings.STRIPE_API_VERSION}


def request_org(request: HttpRequest) -> Organization | None:
    """dj-stripe's subscriber for a request: the organisation the page belongs to."""
    return getattr(request, "org", None)


def summary(org: Organization) -> BillingSubscription:
    """The organisation's billing row, created empty the first time; safe when two callers race."""
    row = BillingSubscription.objects.filter(org_id=org.pk).first()
    if row is None:
        BillingSubscription.objects.bulk_create([BillingSubscription(org_id=org.pk)], ignore_conflicts=True)
        row = BillingSubscription.objects.get(org_id=org.pk)
    return row


def customer_id(org: Organization) -> str:
    """The organisation's Stripe customer id, created in Stripe (through dj-stripe, linked to the
    organisation as its subscriber) the first time."""
    row = summary(org)
    if row.stripe_customer_id:
        return row.stripe_customer_id
    from djstripe.models import Customer

    customer, _created = Customer.get_or_create(subscriber=org)
    with transaction.atomic():
        BillingSubscription.objects.filter(pk=row.pk, stripe_customer_id="").update(stripe_customer_id=customer.id)
    return summary(org).stripe_customer_id
