"""Sending the local Stripe's events to Personae's webhook, signed the way Stripe signs them.

Events go to dj-stripe's webhook URL for the local endpoint (``djstripe:djstripe_webhook_by_uuid``),
through Django's request handling, from a Celery task queued after the transaction that created
them commits, so a web request never waits on its own webhook. An answer other than 2xx leaves the
event undelivered; the task retries, and every run sends whatever is still waiting, oldest first.
"""

from __future__ import annotations

import json
import logging
import secrets

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from stripe_local.models import StripeObject

logger = logging.getLogger(__name__)

ENDPOINT_ID = "we_localpersonae0001"


def webhook_endpoint():
    """The dj-stripe endpoint row the local Stripe delivers to, created with its secret the first
    time (at migrate, and again here if it was deleted)."""
    from djstripe.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.filter(id=ENDPOINT_ID).first()
    if endpoint is None:
        endpoint = WebhookEndpoint.objects.create(
            id=ENDPOINT_ID,
            livemode=False,
            url=settings.SITE_URL + "/stripe/webhook/",
            secret="whsec_" + secrets.token_hex(24),
            enabled_events=["*"],
            status="enabled",
            api_version=settings.STRIPE_API_VERSION,
            stripe_data={
                "id": ENDPOINT_ID,
                "object": "webhook_endpoint",
                "description": "Local test-mode Stripe (no real payments)",
                "metadata": {},
            },
        )
    return endpoint


def deliver_after_commit() -> None:
    """Queue a delivery run for when the current transaction commits. Several runs may be queued;
    each sends whatever is still waiting, so the later ones find nothing to do."""

    def queue():
        from stripe_local.tasks import deliver_events

        deliver_events.delay()

    transaction.on_commit(queue)


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def post_event(event: dict, *, secret: str | None = None, timestamp: int | None = None) -> int:
    """POST one event to the webhook URL, signed with the endpoint's secret; the HTTP status back."""
    from stripe_local.client import dispatch

    endpoint = webhook_endpoint()
    payload = json.dumps(event)
    url = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    headers = {
        "Stripe-Signature": sign(payload, secret or endpoint.secret, timestamp),
        "Content-Type": "application/json",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) personae-local",
    }
    # Like a real server: an exception in the webhook is an HTTP 500 answer, not an error here.
    _body, status, _headers = dispatch("POST", url, headers, payload, raise_errors=False)
    return status


def deliver_pending(limit: int = 200) -> int:
    """Send every undelivered event, oldest first, stopping at the first failure (Stripe keeps
    retrying; order matters less than at-least-once). Returns how many were delivered."""
    delivered = 0
    # Handling an event can create new ones (dj-stripe updating a customer), so look again after each.
    while delivered < limit:
        row = StripeObject.objects.filter(kind="event", delivered_at__isnull=True).order_by("created_at", "id").first()
        if row is None:
            break
        try:
            status = post_event(row.data)
        except Exception:
            logger.exception("Local Stripe: delivering %s %s raised", row.data.get("type"), row.id)
            status = 500
        StripeObject.objects.filter(pk=row.pk).update(
            delivery_attempts=row.delivery_attempts + 1,
            last_delivery_status=status,
            delivered_at=timezone.now() if 200 <= status < 300 else None,
        )
        if not 200 <= status < 300:
            logger.warning("Local Stripe: webhook answered %s to %s %s", status, row.data.get("type"), row.id)
            break
        delivered += 1
    return delivered


def undelivered_count() -> int:
    return StripeObject.objects.filter(kind="event", delivered_at__isnull=True).count()


def undelivered_for_customer(customer_id: str) -> bool:
    """Whether an event about this customer (its subscription, invoice, session…) is still waiting."""
    waiting = StripeObject.objects.filter(kind="event", delivered_at__isnull=True)
    return waiting.filter(data__data__object__customer=customer_id).exists()
