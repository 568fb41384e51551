"""Run by ``benchmarks.stripe_webhooks`` through pytest (for the test database and the local Stripe);
not part of the test suite, and it asserts nothing about time.

Top-up payments through the local test-mode Stripe, each one's events posted, signed, to the real
dj-stripe webhook endpoint, which records the delivery, checks the signature and queues it for the
worker. Against a minimal view that only verifies the same signature and inserts one row, fed the
same signed bodies. Then the worker's side: the queued deliveries processed (dj-stripe re-reading
the objects from the local Stripe API, our receivers granting the credits), and, with a real Celery
worker running, webhook-to-grant: from posting a payment's events to its credits in the ledger.
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
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.decorators import login_not_required
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from billing import stripe_webhooks
from billing.models import LedgerEntry, Plan
from billing.tasks import process_stripe_webhook
from config.celery import app
from providers.models import WebhookDelivery
from stripe_local import delivery, payments
from stripe_local.models import StripeObject
from tests.factories import MembershipFactory, OrganizationFactory

PAYMENTS = int(os.environ.get("BENCH_STRIPE_PAYMENTS", "60"))
LATENCY_PAYMENTS = int(os.environ.get("BENCH_STRIPE_LATENCY_PAYMENTS", "20"))


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


def _pay_topups(client, org, count: int, tag: str) -> list[tuple[str, list[dict]]]:
    """``count`` paid top-up checkouts, their events left for the benchmark to post: [(session, events)]."""
    paid = []
    for n in range(count):
        response = client.post(f"/o/{org.slug}/billing/top-up/", {"pack": "1000", "nonce": f"{tag}-{n}"})
        session_id = response["Location"].split("/local-stripe/checkout/")[1].strip("/")
        with transaction.atomic():
            payments.checkout_pay(session_id, "success")
        waiting = StripeObject.objects.filter(kind="event", delivered_at__isnull=True).order_by("id")
        paid.append((session_id, [row.data for row in waiting]))
        waiting.update(delivered_at=timezone.now())  # posted by the benchmark, not the delivery task
    return paid


def _post_all(name: str, url: str, events: list[dict], secret: str) -> None:
    """Post each event, signed as Stripe signs it, through Django's whole request handling."""
    webhook = Client()
    timings, started = [], time.perf_counter()
    for event in events:
        payload = json.dumps(event)
        begin = time.perf_counter()
        response = webhook.post(
            url, payload, content_type="application/json", headers={"Stripe-Signature": delivery.sign(payload, secret)}
        )
        timings.append(time.perf_counter() - begin)
        assert response.status_code == 200, (name, response.status_code, event["type"])
    _report(name, timings, time.perf_counter() - started)


def _granted(org, session_id: str) -> bool:
    return LedgerEntry.objects.filter(org_id=org.pk, idempotency_key=f"stripe-checkout:{session_id}").exists()


@pytest.mark.django_db(transaction=True)
def test_webhook_to_grant_against_a_minimal_view(settings, client, monkeypatch, django_db_blocker):
    settings.SITE_URL = "http://testserver"
    call_command("sync_plans", stdout=io.StringIO())
    delivery.deliver_pending()  # sync_plans' own events (processed inline: tests run Celery eagerly)
    monkeypatch.setattr(delivery, "deliver_after_commit", lambda: None)  # the payments' events wait for us
    org = OrganizationFactory(slug="bench", plan=Plan.objects.get(slug="free"))
    client.force_login(MembershipFactory(org=org, role="owner").user)
    paid = _pay_topups(client, org, PAYMENTS, "bench")
    events = [event for _session, session_events in paid for event in session_events]

    # 1. The endpoint: what Stripe waits for. The queued processing is collected, not run.
    queued: list[int] = []
    monkeypatch.setattr(process_stripe_webhook, "delay", queued.append)
    endpoint = delivery.webhook_endpoint()
    url = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    _post_all("djstripe", url, events, endpoint.secret)
    assert len(queued) == len(events)

    # 2. The same signed bodies through a view that only verifies the signature and inserts a row.
    root_urlconf = settings.ROOT_URLCONF
    settings.ROOT_URLCONF = __name__
    _post_all("minimal", "/bench/minimal-webhook/", events, endpoint.secret)
    settings.ROOT_URLCONF = root_urlconf

    # 3. The worker's part for each queued delivery: dj-stripe's sync and our receivers.
    timings, started = [], time.perf_counter()
    for pk in queued:
        begin = time.perf_counter()
        assert stripe_webhooks.process_trigger(pk)
        timings.append(time.perf_counter() - begin)
    _report("processing", timings, time.perf_counter() - started)
    assert all(_granted(org, session_id) for session_id, _events in paid)
    monkeypatch.undo()
    monkeypatch.setattr(delivery, "deliver_after_commit", lambda: None)

    # 4. Webhook-to-grant with a real worker (solo pool, in this process) on the real Redis:
    #    from posting a payment's first event to its credits in the ledger.
    later = _pay_topups(client, org, LATENCY_PAYMENTS, "latency")
    app.conf.task_always_eager = False
    app.control.purge()
    timings, started = [], time.perf_counter()
    try:
        with django_db_blocker.unblock(), start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            for session_id, session_events in later:
                begin = time.perf_counter()
                for event in session_events:
                    assert delivery.post_event(event) == 200
                while not _granted(org, session_id):
                    if time.perf_counter() - begin > 30:
                        raise AssertionError(f"no grant for {session_id} after 30 s")
                    time.sleep(0.002)
                timings.append(time.perf_counter() - begin)
    finally:
        app.conf.task_always_eager = True
    _report("webhook_to_grant", timings, time.perf_counter() - started)
