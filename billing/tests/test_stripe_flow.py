"""Payments end to end against the local test-mode Stripe, through the real stripe client (its HTTP
requests answered by stripe_local), dj-stripe's webhook view and our receivers. Webhooks carry real
signatures (stripe.WebhookSignature.generate_signature_header)."""

import io
import time

import pytest
import stripe
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from djstripe.models import Event

from billing.models import BillingSubscription, LedgerEntry, Plan
from billing.services import credit_account
from stripe_local import delivery, payments
from stripe_local.engine import get
from stripe_local.models import StripeObject
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogue(settings):
    settings.SITE_URL = "http://testserver"
    call_command("sync_plans", stdout=io.StringIO())


@pytest.fixture
def owner_client(client):
    org = OrganizationFactory(slug="acme", plan=Plan.objects.get(slug="free"))
    owner = MembershipFactory(org=org, role="owner").user
    client.force_login(owner)
    client.org = org
    return client


def post(event, **kwargs):
    """Post one event to the webhook the way Stripe does; the processing it queues runs as it commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return delivery.post_event(event, **kwargs)


def deliver():
    with TestCase.captureOnCommitCallbacks(execute=True):
        delivery.deliver_pending()
    assert delivery.undelivered_count() == 0, StripeObject.objects.filter(kind="event", delivered_at=None).values_list(
        "data__type", "last_delivery_status"
    )


def balance(org):
    return credit_account(org).balance


def start_checkout(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert "/local-stripe/checkout/cs_test_" in location
    return location.split("/local-stripe/checkout/")[1].strip("/")


def subscribe(client, plan="studio", nonce="n1"):
    session_id = start_checkout(
        client, reverse("billing:subscribe", args=[client.org.slug]), {"plan": plan, "nonce": nonce}
    )
    response = client.post(f"/local-stripe/checkout/{session_id}/", {"outcome": "success"})
    assert response.status_code == 302
    return session_id


def test_subscribe_grants_the_plans_credits_once(owner_client):
    org = owner_client.org
    session_id = subscribe(owner_client)
    assert balance(org) == 0  # nothing before the webhook
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "studio"
    row = BillingSubscription.objects.get(org=org)
    assert row.status == "active"
    assert row.current_period_end
    assert row.amount_cents == 7900
    assert balance(org) == 6000
    assert LedgerEntry.objects.filter(org_id=org.pk, idempotency_key__startswith="stripe-invoice:").count() == 1
    page = owner_client.get(reverse("billing:checkout_done", args=["acme"]) + f"?session_id={session_id}")
    assert "credits are in your balance" in page.content.decode()
    billing = owner_client.get(reverse("orgs:billing", args=["acme"])).content.decode()
    assert "Renews on" in billing
    assert "Manage billing" in billing
    assert "LOCAL-" in billing


def test_duplicate_and_same_invoice_via_two_events_grant_once(owner_client):
    org = owner_client.org
    subscribe(owner_client)
    deliver()
    paid = StripeObject.objects.filter(kind="event", data__type="invoice.paid").first().data
    assert post(paid) == 200  # the same event again
    twin = {**paid, "id": "evt_twin_of_paid"}  # the same invoice under another event id
    assert post(twin) == 200
    assert balance(org) == 6000


def test_forged_signature_is_refused_and_grants_nothing(owner_client):
    org = owner_client.org
    subscribe(owner_client)
    paid = StripeObject.objects.filter(kind="event", data__type="invoice.paid").first().data
    assert post(paid, secret="whsec_wrong") == 400
    assert post(paid, timestamp=int(time.time()) - 3600) == 400
    assert not Event.objects.filter(id=paid["id"]).exists()
    assert balance(org) == 0


def test_out_of_order_subscription_events(owner_client):
    org = owner_client.org
    subscribe(owner_client)
    events = {row.data["type"]: row.data for row in StripeObject.objects.filter(kind="event")}
    sub_id = events["customer.subscription.created"]["data"]["object"]["id"]
    payments.subscription_update(sub_id, {"cancel_at_period_end": "true"})
    updated = StripeObject.objects.filter(kind="event", data__type="customer.subscription.updated").last().data
    assert post(updated) == 200  # before "created"
    assert post(events["customer.subscription.created"]) == 200
    row = BillingSubscription.objects.get(org=org)
    assert row.cancel_at_period_end is True  # the current state, not the older event's
    org.refresh_from_db()
    assert org.plan.slug == "studio"


def test_abandoned_checkout_grants_nothing(owner_client):
    start_checkout(owner_client, reverse("billing:topup", args=["acme"]), {"pack": "1000", "nonce": "a"})
    deliver()
    assert balance(owner_client.org) == 0


def test_double_clicked_buy_makes_one_session(owner_client):
    url = reverse("billing:topup", args=["acme"])
    first = start_checkout(owner_client, url, {"pack": "1000", "nonce": "same"})
    second = start_checkout(owner_client, url, {"pack": "1000", "nonce": "same"})
    assert first == second
    assert StripeObject.objects.filter(kind="checkout.session").count() == 1


def test_declined_card_then_topup_and_async_topup(owner_client):
    org = owner_client.org
    session_id = start_checkout(owner_client, reverse("billing:topup", args=["acme"]), {"pack": "1000", "nonce": "b"})
    declined = owner_client.post(f"/local-stripe/checkout/{session_id}/", {"outcome": "decline"})
    assert declined.status_code == 402
    assert "declined" in declined.content.decode()
    owner_client.post(f"/local-stripe/checkout/{session_id}/", {"outcome": "success"})
    deliver()
    assert balance(org) == 1000
    async_id = start_checkout(owner_client, reverse("billing:topup", args=["acme"]), {"pack": "5000", "nonce": "c"})
    owner_client.post(f"/local-stripe/checkout/{async_id}/", {"outcome": "async"})
    deliver()
    assert balance(org) == 1000  # completed, but unpaid yet
    payments.checkout_settle_async(async_id)
    deliver()
    assert balance(org) == 6000
    assert LedgerEntry.objects.get(idempotency_key=f"stripe-checkout:{async_id}").amount == 5000


def _sub_id(org):
    return BillingSubscription.objects.get(org=org).stripe_subscription_id


def test_renewal_grants_again_and_caps_rollover(owner_client):
    org = owner_client.org
    subscribe(owner_client, plan="creator")
    deliver()
    assert balance(org) == 2000
    payments.subscription_advance(_sub_id(org))
    deliver()
    assert balance(org) == 4000  # 2,000 unused roll over, up to one month's allowance
    payments.subscription_advance(_sub_id(org))
    deliver()
    assert balance(org) == 4000  # 2,000 over the cap expired, then 2,000 granted
    assert LedgerEntry.objects.filter(org_id=org.pk, idempotency_key__startswith="stripe-rollover:").count() == 1


def test_upgrade_now_downgrade_at_period_end_cancel_to_free(owner_client):
    org = owner_client.org
    subscribe(owner_client, plan="creator")
    deliver()
    studio = Plan.objects.get(slug="studio")
    payments.subscription_update(_sub_id(org), {"items": [{"price": studio.stripe_price_id}]})
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "studio"
    assert balance(org) == 2000 + 4000  # the difference in allowance, at once
    creator = Plan.objects.get(slug="creator")
    payments.subscription_change_at_period_end(_sub_id(org), creator.stripe_price_id)
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "studio"  # until the period ends
    row = BillingSubscription.objects.get(org=org)
    assert row.scheduled_plan == creator  # read from the subscription schedule Stripe keeps
    assert row.scheduled_change_at == row.current_period_end
    payments.subscription_advance(_sub_id(org))
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "creator"
    assert BillingSubscription.objects.get(org=org).scheduled_plan is None
    payments.subscription_update(_sub_id(org), {"cancel_at_period_end": "true"})
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "creator"
    assert BillingSubscription.objects.get(org=org).cancel_at_period_end
    payments.subscription_advance(_sub_id(org))
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "free"
    assert BillingSubscription.objects.get(org=org).status == "canceled"


def test_a_scheduled_downgrade_is_shown_on_billing_until_it_is_undone(owner_client):
    org = owner_client.org
    subscribe(owner_client, plan="studio")
    deliver()
    creator = Plan.objects.get(slug="creator")
    payments.subscription_change_at_period_end(_sub_id(org), creator.stripe_price_id)
    deliver()
    schedule_id = get(_sub_id(org), "subscription")["schedule"]
    assert get(schedule_id, "subscription_schedule")["phases"][1]["items"][0]["price"] == creator.stripe_price_id
    page = owner_client.get(reverse("orgs:billing", args=[org.slug])).content.decode()
    assert "Moves to Creator" in page
    assert "you move to Creator ($" in page
    assert "Until then Studio stays on" in page

    studio = Plan.objects.get(slug="studio")
    payments.subscription_change_at_period_end(_sub_id(org), studio.stripe_price_id)  # keep Studio
    deliver()
    assert get(schedule_id, "subscription_schedule")["status"] == "released"
    row = BillingSubscription.objects.get(org=org)
    assert row.scheduled_plan is None
    assert row.scheduled_change_at is None
    page = owner_client.get(reverse("orgs:billing", args=[org.slug])).content.decode()
    assert "Moves to" not in page
    assert "Renews on" in page


def test_cancelling_drops_a_scheduled_downgrade(owner_client):
    org = owner_client.org
    subscribe(owner_client, plan="studio")
    deliver()
    creator = Plan.objects.get(slug="creator")
    payments.subscription_change_at_period_end(_sub_id(org), creator.stripe_price_id)
    payments.subscription_update(_sub_id(org), {"cancel_at_period_end": "true"})
    deliver()
    row = BillingSubscription.objects.get(org=org)
    assert row.cancel_at_period_end
    assert row.scheduled_plan is None
    page = owner_client.get(reverse("orgs:billing", args=[org.slug])).content.decode()
    assert "your plan ends on" in page
    assert "Moves to" not in page


def test_failed_renewal_is_past_due_with_grace(owner_client):
    from billing import signals

    seen = []

    def listener(sender, org, invoice, grace_until, **kwargs):
        seen.append((org.pk, grace_until))

    signals.payment_failed.connect(listener)
    try:
        subscribe(owner_client)
        deliver()
        payments.subscription_advance(_sub_id(owner_client.org), fail=True)
        deliver()
    finally:
        signals.payment_failed.disconnect(listener)
    row = BillingSubscription.objects.get(org=owner_client.org)
    assert row.status == "past_due"
    assert row.grace_until
    assert seen == [(owner_client.org.pk, row.grace_until)]
    assert balance(owner_client.org) == 6000  # no renewal credits for an unpaid invoice
    assert "We couldn" in owner_client.get(reverse("orgs:billing", args=["acme"])).content.decode()


def test_stripe_retrying_keeps_the_first_grace_date_and_a_late_failure_after_payment_changes_nothing(owner_client):
    from billing.dunning import payment_problem
    from billing.models import BillingEmail

    org = owner_client.org
    subscribe(owner_client)
    deliver()
    payments.subscription_advance(_sub_id(org), fail=True)
    deliver()
    first = BillingSubscription.objects.get(org=org).grace_until
    failed = StripeObject.objects.filter(kind="event", data__type="invoice.payment_failed").latest("id").data

    # Stripe retries the same invoice and fails again: the grace date doesn't move.
    BillingSubscription.objects.filter(org=org).update(updated_at=first)
    assert post({**failed, "id": "evt_retry_failed_again"}) == 200
    assert payment_problem(org).grace_until == first

    # The card works; the invoice is paid and the subscription is active again.
    payments.invoice_retry(failed["data"]["object"]["id"])
    deliver()
    assert payment_problem(org) is None
    assert balance(org) == 12000

    # A failure event delivered late, after the payment: no problem reopened, no second email.
    assert post({**failed, "id": "evt_late_failure"}) == 200
    assert payment_problem(org) is None
    assert BillingSubscription.objects.get(org=org).status == "active"
    assert BillingEmail.objects.filter(org=org, kind="payment_failed").count() == 1


def _buy_topup(client, pack="1000", nonce="t"):
    session_id = start_checkout(client, reverse("billing:topup", args=["acme"]), {"pack": pack, "nonce": nonce})
    client.post(f"/local-stripe/checkout/{session_id}/", {"outcome": "success"})
    deliver()
    return get(session_id, "checkout.session")


def test_refund_and_dispute_take_back_unused_topup_credits_never_below_zero(owner_client):
    org = owner_client.org
    session = _buy_topup(owner_client)
    assert balance(org) == 1000
    stripe.Refund.create(payment_intent=session["payment_intent"], amount=750, api_key=_key())
    deliver()
    assert balance(org) == 500  # half the price back, half the credits
    entry = LedgerEntry.objects.filter(org_id=org.pk, idempotency_key__startswith="stripe-clawback:").first()
    assert entry.description == "Top-up credits taken back after a refund"
    # The rest of the pack gets spent, then the card holder disputes the charge: nothing left to take.
    from billing.services import credits_take_back

    credits_take_back(org=org, amount=500, key="spent", description="spent")
    payments.dispute_open(session["_charge"])
    deliver()
    assert balance(org) == 0


def _key():
    from djstripe.settings import djstripe_settings

    return djstripe_settings.STRIPE_SECRET_KEY


def test_a_receiver_error_is_retried_by_the_worker_and_grants_once(owner_client, monkeypatch):
    """The webhook answers 200 once the delivery is stored; the worker's processing fails, the error
    is written on the delivery, nothing is granted, and the retry grants exactly once."""
    from djstripe.models import WebhookEventTrigger
    from djstripe.signals import WEBHOOK_SIGNALS

    from billing import stripe_webhooks

    org = owner_client.org
    subscribe(owner_client)
    invoice_paid = StripeObject.objects.filter(kind="event", data__type="invoice.paid").first().data
    failures = []

    def boom(sender, event, **kwargs):
        failures.append(event.id)
        raise RuntimeError("receiver failed")

    WEBHOOK_SIGNALS["invoice.paid"].connect(boom, sender=Event)
    monkeypatch.setattr("billing.tasks.process_stripe_webhook.delay", lambda pk: None)  # the task is lost
    try:
        assert post(invoice_paid) == 200
        trigger = WebhookEventTrigger.objects.filter(body__contains=invoice_paid["id"]).latest("pk")
        with pytest.raises(RuntimeError):
            stripe_webhooks.process_trigger(trigger.pk)
    finally:
        WEBHOOK_SIGNALS["invoice.paid"].disconnect(boom, sender=Event)
    trigger.refresh_from_db()
    assert failures == [invoice_paid["id"]]
    assert (trigger.valid, trigger.processed, trigger.exception) == (True, False, "receiver failed")
    assert "RuntimeError" in trigger.traceback
    assert not Event.objects.filter(id=invoice_paid["id"]).exists()  # rolled back with the receivers
    assert balance(org) == 0
    monkeypatch.undo()

    # The beat sweep finds the delivery once it is stale and queues it; the worker processes it.
    WebhookEventTrigger.objects.filter(pk=trigger.pk).update(created=trigger.created - stripe_webhooks.STALE_AFTER)
    assert stripe_webhooks.sweep() == 1
    trigger.refresh_from_db()
    assert trigger.processed
    assert balance(org) == 6000
    assert stripe_webhooks.sweep() == 0
    assert post(invoice_paid) == 200  # Stripe sending it again changes nothing
    assert balance(org) == 6000
    assert LedgerEntry.objects.filter(org=org, idempotency_key__startswith="stripe-invoice:").count() == 1


def test_a_failing_task_retries_with_backoff_until_it_succeeds(owner_client, monkeypatch):
    from celery.exceptions import Retry
    from djstripe.signals import WEBHOOK_SIGNALS

    from billing.tasks import process_stripe_webhook

    org = owner_client.org
    queued = []
    monkeypatch.setattr(process_stripe_webhook, "delay", queued.append)
    subscribe(owner_client)
    deliver()  # every delivery answered and stored; their tasks queued, not run
    assert queued
    assert balance(org) == 0
    calls = []

    def flaky(sender, event, **kwargs):
        calls.append(event.id)
        if len(calls) < 3:
            raise RuntimeError("database hiccup")

    countdowns = []

    def retry(exc=None, countdown=None, **kwargs):  # Celery's retry re-runs at once when eager; record it
        countdowns.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(process_stripe_webhook, "retry", retry)
    WEBHOOK_SIGNALS["invoice.paid"].connect(flaky, sender=Event)
    try:
        outcomes = []
        for pk in queued:
            for retries in range(4):
                result = process_stripe_webhook.apply(args=[pk], retries=retries, throw=False)
                outcomes.append(result.state)
                if result.state != "RETRY":
                    break
    finally:
        WEBHOOK_SIGNALS["invoice.paid"].disconnect(flaky, sender=Event)
    assert len(calls) == 3  # invoice.paid failed twice, then went through
    assert outcomes.count("RETRY") == 2
    assert "FAILURE" not in outcomes
    assert countdowns == [2, 4]  # backoff doubles
    assert balance(org) == 6000


def test_the_invoice_list_is_cached_until_a_webhook_says_an_invoice_changed(owner_client, monkeypatch):
    org = owner_client.org
    subscribe(owner_client)
    deliver()
    page = reverse("orgs:billing", args=["acme"])
    calls = []
    original = stripe.Invoice.list

    def counting_list(*args, **kwargs):
        calls.append(kwargs.get("customer"))
        return original(*args, **kwargs)

    monkeypatch.setattr(stripe.Invoice, "list", counting_list)
    first = owner_client.get(page).content.decode()
    second = owner_client.get(page).content.decode()
    assert len(calls) == 1
    assert first.count("LOCAL-") == second.count("LOCAL-") == 1

    payments.subscription_advance(_sub_id(org))  # the renewal's invoice events forget the list
    deliver()
    assert owner_client.get(page).content.decode().count("LOCAL-") == 2
    assert len(calls) == 2


def test_when_stripe_cannot_list_invoices_the_page_says_so_and_still_works(owner_client, monkeypatch):
    subscribe(owner_client)
    deliver()

    def unreachable(*args, **kwargs):
        raise stripe.APIConnectionError("Could not connect to Stripe")

    monkeypatch.setattr(stripe.Invoice, "list", unreachable)
    from django.core.cache import cache

    cache.clear()
    response = owner_client.get(reverse("orgs:billing", args=["acme"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Stripe didn't answer just now, so your invoices can't be listed" in text
    assert "Renews on" in text  # the plan, balance and the rest come from our own records


def test_back_from_the_portal_the_page_waits_for_stripes_updates_then_shows_the_plan(owner_client, monkeypatch):
    org = owner_client.org
    subscribe(owner_client)
    deliver()
    page = reverse("billing:portal_done", args=["acme"])
    assert owner_client.get(page)["Location"] == reverse("orgs:billing", args=["acme"])  # nothing pending

    studio = get(Plan.objects.get(slug="studio").stripe_price_id, "price")
    agency = Plan.objects.get(slug="agency")
    payments.subscription_update(_sub_id(org), {"items": [{"price": agency.stripe_price_id}]})  # in the portal
    assert studio["id"] != agency.stripe_price_id
    waiting = owner_client.get(page)
    assert waiting.status_code == 200
    assert "Applying the changes you made in Manage billing" in waiting.content.decode()
    polled = owner_client.get(page + "?since=0", headers={"HX-Request": "true"})
    assert polled.status_code == 200  # still polling
    assert "taking longer than usual" in polled.content.decode()

    delivered = []
    monkeypatch.setattr("billing.tasks.process_stripe_webhook.delay", delivered.append)
    with TestCase.captureOnCommitCallbacks(execute=True):
        delivery.deliver_pending()  # sent and stored, not yet applied by the worker
    assert delivered
    assert owner_client.get(page, headers={"HX-Request": "true"}).status_code == 200
    monkeypatch.undo()

    from billing import stripe_webhooks

    stripe_webhooks.process_pending()
    done = owner_client.get(page, headers={"HX-Request": "true"})
    assert done.status_code == 286
    assert "Up to date: " in done.content.decode()
    assert "is on the Agency plan" in done.content.decode()


def test_the_webhook_refuses_a_delivery_without_a_signature_or_for_an_unknown_endpoint(owner_client):
    import uuid

    from djstripe.models import WebhookEventTrigger

    endpoint = delivery.webhook_endpoint()
    url = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})
    assert url == f"/stripe/webhook/{endpoint.djstripe_uuid}/"
    before = WebhookEventTrigger.objects.count()
    assert owner_client.post(url, "{}", content_type="application/json").status_code == 400
    assert WebhookEventTrigger.objects.count() == before  # nothing stored without a signature
    unknown = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": uuid.uuid4()})
    headers = {"Stripe-Signature": delivery.sign("{}", endpoint.secret)}
    assert owner_client.post(unknown, "{}", content_type="application/json", headers=headers).status_code == 404
