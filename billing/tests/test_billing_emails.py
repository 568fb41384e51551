"""The emails Stripe's events send (a receipt, a failed payment, a plan change), each once and to
the billing email and the owners; and the failed-payment banner with its grace period."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from billing import signals
from billing.dunning import effective_plan, payment_problem
from billing.emails import money
from billing.models import BillingEmail, BillingSubscription, Plan
from billing.services import credits_grant
from core.tests.pages import text_of
from orgs.models import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INVOICE = {
    "id": "in_1PaidJune",
    "number": "NS-0007",
    "amount_paid": 7900,
    "amount_due": 7900,
    "currency": "usd",
    "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/in_1PaidJune",
    "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/in_1PaidJune/pdf",
    "period_start": 1748736000,  # 1 June 2025
    "period_end": 1751328000,  # 1 July 2025
    "plan_name": "Studio",
}


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``send(signal, **kwargs)``: send a billing signal the way the Stripe webhooks do, commit included."""

    def run(signal, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            signal.send(sender=None, **kwargs)

    return run


def _html(message) -> str:
    return message.alternatives[0][0]


# --- Recipients -----------------------------------------------------------------------------------


def test_it_sends_billing_emails_to_the_billing_email_and_the_owners_once_each(org, people, send, mailoutbox):
    second_owner = MembershipFactory(org=org, role=Role.OWNER, user=UserFactory(email=org.email.upper())).user

    send(signals.invoice_paid, org=org, invoice=INVOICE)

    (message,) = mailoutbox
    assert message.to == [org.email, people.owner.email]
    assert second_owner.email not in message.to  # the same address as the billing email
    assert people.admin.email not in message.to


# --- Receipts -------------------------------------------------------------------------------------


def test_it_sends_a_receipt_with_the_amount_period_plan_credits_and_links(org, people, send, mailoutbox):
    credits_grant(org=org, amount=6000, key="stripe-invoice:in_1PaidJune", description="Studio plan credits")

    send(signals.invoice_paid, org=org, invoice=INVOICE)

    (message,) = mailoutbox
    assert message.subject == "Receipt for Northstar Talent: $79.00 for the Studio plan"
    text = message.body
    assert "Invoice: NS-0007" in text
    assert "Period: 1 Jun 2025 – 1 Jul 2025" in text
    assert "Credits added: 6,000" in text
    assert "Paid: $79.00" in text
    assert "View the invoice: https://invoice.stripe.com/i/acct_1/in_1PaidJune" in text
    assert "Download the PDF: https://pay.stripe.com/invoice/acct_1/in_1PaidJune/pdf" in text
    assert "http://testserver/o/northstar/billing/" in text
    html = _html(message)
    assert 'href="https://invoice.stripe.com/i/acct_1/in_1PaidJune"' in html
    assert "<strong>Northstar Talent</strong>" in html


def test_a_repeated_invoice_paid_event_sends_one_receipt(org, people, send, mailoutbox):
    send(signals.invoice_paid, org=org, invoice=INVOICE)
    send(signals.invoice_paid, org=org, invoice=INVOICE)
    send(signals.invoice_paid, org=org, invoice={**INVOICE, "id": "in_2PaidJuly", "number": "NS-0008"})

    assert [m.subject for m in mailoutbox] == ["Receipt for Northstar Talent: $79.00 for the Studio plan"] * 2
    assert BillingEmail.objects.filter(org=org, kind=BillingEmail.Kind.RECEIPT).count() == 2


def test_it_sends_no_receipt_for_an_invoice_of_nothing(org, people, send, mailoutbox):
    send(signals.invoice_paid, org=org, invoice={**INVOICE, "amount_paid": 0})

    assert mailoutbox == []


def test_a_receipt_that_fails_to_send_does_not_fail_the_webhook_and_is_tried_again(
    org, people, send, mailoutbox, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("template error")

    with monkeypatch.context() as patch:
        patch.setattr("billing.emails.email_send", broken)
        send(signals.invoice_paid, org=org, invoice=INVOICE)

    assert mailoutbox == []
    send(signals.invoice_paid, org=org, invoice=INVOICE)
    assert len(mailoutbox) == 1


def test_it_writes_amounts_in_the_invoice_currency():
    assert money(7900, "usd") == "$79.00"
    assert money(123456, "eur") == "€1,234.56"
    assert money(500, "jpy") == "500 JPY"
    assert money(1999, "chf") == "19.99 CHF"


# --- Failed payments ------------------------------------------------------------------------------


def _fail(send, org, *, days=7, invoice=INVOICE):
    """A renewal that couldn't be charged, as billing.stripe_sync leaves it: the subscription past due
    with a grace date, then the signal. (Which grace date stands while Stripe retries is stripe_sync's
    rule, tested in test_stripe_flow.)"""
    grace_until = timezone.now() + timedelta(days=days)
    BillingSubscription.objects.update_or_create(org=org, defaults={"status": "past_due", "grace_until": grace_until})
    send(signals.payment_failed, org=org, invoice={**invoice, "amount_paid": 0}, grace_until=grace_until)
    return grace_until


def _paid(send, org, invoice=INVOICE):
    """A paid invoice, as billing.stripe_sync leaves it: the subscription active, then the signal."""
    BillingSubscription.objects.update_or_create(org=org, defaults={"status": "active", "grace_until": None})
    send(signals.invoice_paid, org=org, invoice=invoice)


def test_it_emails_a_failed_payment_with_the_grace_date_and_the_way_to_fix_the_card(org, people, send, mailoutbox):
    grace_until = _fail(send, org)

    (message,) = mailoutbox
    day = f"{timezone.localtime(grace_until).day} {timezone.localtime(grace_until):%B}"
    assert message.subject == f"Payment failed for Northstar Talent: update your card by {day}"
    assert message.to == [org.email, people.owner.email]
    text = message.body
    assert "Charging $79.00 for the Studio plan of Northstar Talent didn't work (invoice NS-0007)" in text
    assert f"Your plan keeps working until {day} {grace_until.year}" in text
    assert "Update your card: http://testserver/o/northstar/billing/#manage-billing" in text
    assert "Or pay this invoice with another card: https://invoice.stripe.com/i/acct_1/in_1PaidJune" in text
    assert "Update your card" in _html(message)


def test_stripe_retrying_a_failed_invoice_sends_one_email(org, people, send, mailoutbox):
    _fail(send, org, days=7)
    _fail(send, org, days=7)

    assert len(mailoutbox) == 1


def test_the_plan_keeps_working_until_the_grace_date_then_has_the_free_limits_until_paid(org, people, send):
    grace_until = _fail(send, org, days=7)

    assert effective_plan(org).slug == "studio"
    assert effective_plan(org, now=grace_until + timedelta(seconds=1)).slug == "free"

    _paid(send, org)
    assert payment_problem(org) is None
    assert effective_plan(org, now=grace_until + timedelta(days=1)).slug == "studio"


def test_a_new_failure_after_a_payment_opens_a_new_grace_period(org, people, send, mailoutbox):
    _fail(send, org, days=7)
    _paid(send, org)

    grace_until = _fail(send, org, days=3, invoice={**INVOICE, "id": "in_2FailedJuly"})

    assert payment_problem(org).grace_until == grace_until
    assert len(mailoutbox) == 3  # failed, receipt, failed again


# --- The banner -----------------------------------------------------------------------------------

DASHBOARD = "/o/northstar/"


def test_the_banner_shows_owners_and_admins_a_failed_payment_until_it_is_paid(client, org, people, send):
    grace_until = _fail(send, org)
    day = f"{timezone.localtime(grace_until).day} {timezone.localtime(grace_until):%B}"

    for person in (people.owner, people.admin):
        client.force_login(person)
        response = client.get(DASHBOARD)
        assert f"A payment for Northstar Talent failed. Update your card by {day} to keep the Studio plan" in text_of(
            response
        )
        assert 'href="/o/northstar/billing/#manage-billing"' in response.content.decode()

    _paid(send, org)
    assert "payment-problem" not in client.get(DASHBOARD).content.decode()


def test_the_banner_is_not_shown_to_members_and_viewers(client, org, people, send):
    _fail(send, org)

    for person in (people.member, people.viewer):
        client.force_login(person)
        assert "payment-problem" not in client.get(DASHBOARD).content.decode()


def test_the_banner_says_the_free_limits_apply_after_the_grace_date(client, org, people, send):
    _fail(send, org, days=-1)
    client.force_login(people.owner)

    page = text_of(client.get(DASHBOARD))

    assert "Payment for Northstar Talent is overdue, so it has the Free plan's limits until it's paid." in page


def test_the_banner_is_only_about_the_org_on_screen(client, org, people, send):
    _fail(send, people.other_org)
    client.force_login(people.owner)

    assert "payment-problem" not in client.get(DASHBOARD).content.decode()


# --- Plan changes ---------------------------------------------------------------------------------


def test_it_emails_a_plan_change_with_the_new_limits(org, people, send, mailoutbox):
    studio, agency = Plan.objects.get(slug="studio"), Plan.objects.get(slug="agency")

    send(signals.plan_changed, org=org, old_plan=studio, new_plan=agency, effective=None)

    (message,) = mailoutbox
    assert message.subject == "Northstar Talent is now on the Agency plan"
    assert message.to == [org.email, people.owner.email]
    text = message.body
    assert "Northstar Talent moves from the Studio plan to the Agency plan, from now on." in text
    assert "- 20,000 credits every month" in text
    assert "- Unlimited characters" in text
    assert "- 1.0\xa0TB storage" in text or "- 1.0 TB storage" in text
    assert "- 10 seats, and unlimited viewers" in text
    assert "See your plan: http://testserver/o/northstar/billing/" in text


def test_it_says_when_a_later_plan_change_takes_effect(org, people, send, mailoutbox):
    studio, creator = Plan.objects.get(slug="studio"), Plan.objects.get(slug="creator")
    effective = timezone.now() + timedelta(days=20)
    day = timezone.localtime(effective)

    send(signals.plan_changed, org=org, old_plan=studio, new_plan=creator, effective=effective)

    (message,) = mailoutbox
    assert message.subject == f"Northstar Talent moves to the Creator plan on {day.day} {day:%B}"
    assert f"on {day.day} {day:%B} {day.year}. Until then, nothing changes." in message.body
    assert "- 3 characters" in message.body


def test_a_repeated_plan_change_event_sends_one_email_but_a_change_back_and_again_sends_each(
    org, people, send, mailoutbox
):
    studio, agency = Plan.objects.get(slug="studio"), Plan.objects.get(slug="agency")

    send(signals.plan_changed, org=org, old_plan=studio, new_plan=agency, effective=None)
    send(signals.plan_changed, org=org, old_plan=studio, new_plan=agency, effective=None)
    send(signals.plan_changed, org=org, old_plan=agency, new_plan=studio, effective=None)
    send(signals.plan_changed, org=org, old_plan=studio, new_plan=agency, effective=None)

    assert [m.subject for m in mailoutbox] == [
        "Northstar Talent is now on the Agency plan",
        "Northstar Talent is now on the Studio plan",
        "Northstar Talent is now on the Agency plan",
    ]


def test_a_first_subscription_names_only_the_new_plan(org, people, send, mailoutbox):
    send(signals.plan_changed, org=org, old_plan=None, new_plan=Plan.objects.get(slug="creator"), effective=None)

    assert "Northstar Talent is on the Creator plan, from now on." in mailoutbox[0].body


def test_nothing_is_sent_when_the_change_rolls_back(org, people, mailoutbox, django_capture_on_commit_callbacks):
    def webhook_failing_after_the_signal():
        with transaction.atomic():
            signals.invoice_paid.send(sender=None, org=org, invoice=INVOICE)
            raise RuntimeError("the webhook failed after the signal")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        webhook_failing_after_the_signal()

    assert mailoutbox == []
    assert not BillingEmail.objects.exists()
