"""Run by ``benchmarks.stripe_webhooks`` through pytest (for the test database and the local Stripe);
not part of the test suite, and it asserts nothing about time.

Top-up payments through the local test-mode Stripe, each one's events posted, signed, to the real
dj-stripe webhook endpoint (dj-stripe records the delivery, checks the signature, stores the event,
re-reads the objects from the local Stripe API, and our receivers grant the credits). Against a
minimal view that only verifies the same signature and inserts one row, fed the same signed bodies.
Prints ``BENCH <name> <events> <seconds> <median ms> <p95 ms>`` per path.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import time

import pytest
import stripe
from django.contrib.auth.decorators import login_not_required
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from billing.models import LedgerEntry, Plan
from providers.models import WebhookDelivery
from stripe_local import delivery, payments
from stripe_local.models import StripeObject
from tests.factories import MembershipFactory, OrganizationFactory

PAYMENTS = int(os.environ.get("BENCH_STRIPE_PAYMENTS", "60"))


@csrf_exempt
@login_not_required
def minimal_webhook(request):
    """Verify Stripe's signature on the raw body and insert one row: the least a webhook can do."""
    secret = delivery.webhook_endpoint().secret
    try:
        stripe.WebhookSignature.verify_header(request.body.decode(), request.headers["Stripe-Signature"], secret)
    except (stripe.SignatureVerificationError, KeyError):
        return HttpResponse(status=400)
    event = json.loads(request.body)
    WebhookDelivery.objects.create(provider="bench", delivery_id=event["id"])
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/minimal-webhook/", minimal_webhook)]


def _report(name: str, timings: list[float], total: float) -> None:
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"BENCH {name} {len(timings)} {total:.3f} {statistics.median(timings) * 1000:.2f} {p95 * 1000:.2f}")


@pytest.mark.django_db(transaction=True)
def test_webhook_to_grant_against_a_minimal_view(settings, client, monkeypatch):
    settings.SITE_URL = "http://testserver"
    call_command("sync_plans", stdout=io.StringIO())
    delivery.deliver_pending()  # sync_plans' own events
    monkeypatch.setattr(delivery, "deliver_after_commit", lambda: None)  # the payments' events wait for us
    org = OrganizationFactory(slug="bench", plan=Plan.objects.get(slug="free"))
    client.force_login(MembershipFactory(org=org, role="owner").user)
    for n in range(PAYMENTS):  # paid top-up checkouts; their events wait, undelivered
        response = client.post(f"/o/{org.slug}/billing/top-up/", {"pack": "1000", "nonce": f"bench-{n}"})
        session_id = response["Location"].split("/local-stripe/checkout/")[1].strip("/")
        with transaction.atomic():
            payments.checkout_pay(session_id, "success")
    events = [row.data for row in StripeObject.objects.filter(kind="event", delivered_at__isnull=True).order_by("id")]

    timings, started = [], time.perf_counter()
    for event in events:
        begin = time.perf_counter()
        status = delivery.post_event(event)
        timings.append(time.perf_counter() - begin)
        assert status == 200, (status, event["type"])
    _report("djstripe", timings, time.perf_counter() - started)
    assert LedgerEntry.objects.filter(org_id=org.pk, idempotency_key__startswith="stripe-checkout:").count() == PAYMENTS

    settings.ROOT_URLCONF = __name__
    secret = delivery.webhook_endpoint().secret
    bare = Client()
    timings, started = [], time.perf_counter()
    for event in events:
        payload = json.dumps(event)
        begin = time.perf_counter()
        response = bare.post(
            "/bench/minimal-webhook/",
            payload,
            content_type="application/json",
            headers={"Stripe-Signature": delivery.sign(payload, secret)},
        )
        timings.append(time.perf_counter() - begin)
        assert response.status_code == 200
    _report("minimal", timings, time.perf_counter() - started)
