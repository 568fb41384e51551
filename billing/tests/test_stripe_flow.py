"""Payments end to end against the local test-mode Stripe, through the real stripe client (its HTTP
requests answered by stripe_local), dj-stripe's webhook view and our receivers. Webhooks carry real
signatures (stripe.WebhookSignature.generate_signature_header)."""

import io
import time

import pytest
import stripe
from django.core.management import call_command
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


def deliver():
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
    assert delivery.post_event(paid) == 200  # the same event again
    twin = {**paid, "id": "evt_twin_of_paid"}  # the same invoice under another event id
    assert delivery.post_event(twin) == 200
    assert balance(org) == 6000


def test_forged_signature_is_refused_and_grants_nothing(owner_client):
    org = owner_client.org
    subscribe(owner_client)
    paid = StripeObject.objects.filter(kind="event", data__type="invoice.paid").first().data
    assert delivery.post_event(paid, secret="whsec_wrong") == 400
    assert delivery.post_event(paid, timestamp=int(time.time()) - 3600) == 400
    assert not Event.objects.filter(id=paid["id"]).exists()
    assert balance(org) == 0


def test_out_of_order_subscription_events(owner_client):
    org = owner_client.org
    subscribe(owner_client)
    events = {row.data["type"]: row.data for row in StripeObject.objects.filter(kind="event")}
    sub_id = events["customer.subscription.created"]["data"]["object"]["id"]
    payments.subscription_update(sub_id, {"cancel_at_period_end": "true"})
    updated = StripeObject.objects.filter(kind="event", data__type="customer.subscription.updated").last().data
    assert delivery.post_event(updated) == 200  # before "created"
    assert delivery.post_event(events["customer.subscription.created"]) == 200
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
    payments.subscription_advance(_sub_id(org))
    deliver()
    org.refresh_from_db()
    assert org.plan.slug == "creator"
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
    assert seen
    assert seen[0][0] == owner_client.org.pk
    assert balance(owner_client.org) == 6000  # no renewal credits for an unpaid invoice
    assert "We couldn" in owner_client.get(reverse("orgs:billing", args=["acme"])).content.decode()


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


def test_a_receiver_error_answers_500_and_redelivery_grants_once(owner_client, monkeypatch):
    org = owner_client.org
    subscribe(owner_client)
    deliver_until = StripeObject.objects.filter(kind="event", data__type="invoice.paid").first().data
    # Make the org's plan price unknown for a moment: stripe_sync raises on a missing default plan.
    original = Plan.objects.get(is_default=True)
    Plan.objects.filter(pk=original.pk).update(is_default=False)
    from djstripe.signals import WEBHOOK_SIGNALS

    def boom(sender, event, **kwargs):
        raise RuntimeError("receiver failed")

    WEBHOOK_SIGNALS["invoice.paid"].connect(boom, sender=Event)
    try:
        assert delivery.post_event(deliver_until) == 500
    finally:
        WEBHOOK_SIGNALS["invoice.paid"].disconnect(boom, sender=Event)
        Plan.objects.filter(pk=original.pk).update(is_default=True)
    assert not Event.objects.filter(id=deliver_until["id"]).exists()
    assert balance(org) == 0
    deliver()
    assert delivery.post_event(deliver_until) == 200
    assert balance(org) == 6000
