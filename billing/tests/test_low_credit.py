"""The low-credit email: once each time the available credits fall below the organisation's
threshold, to its owners and admins; a grant re-arms it. The threshold is set on the Billing page."""

import pytest
from django.db import connection, transaction

from billing.models import BillingEmail, CreditAccount
from billing.services import (
    credits_adjust,
    credits_grant,
    hold_capture,
    hold_release,
    hold_reserve,
    ledger_problems,
    low_credit_threshold_set,
)
from billing.tests.test_concurrency import _race
from core.exceptions import DomainError
from core.tests.pages import text_of
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SUBJECT = "Northstar Talent is low on credits"


@pytest.fixture
def spend(org, django_capture_on_commit_callbacks):
    """``spend(n)``: start a job that holds ``n`` credits, committed; returns the hold."""
    counter = iter(range(10_000))

    def run(amount: int, target=org):
        with django_capture_on_commit_callbacks(execute=True):
            return hold_reserve(
                org=target, amount=amount, key=f"low:{next(counter)}", operation="upscale", description="Upscale"
            )

    return run


@pytest.fixture
def top_up(org, django_capture_on_commit_callbacks):
    counter = iter(range(10_000))

    def run(amount: int):
        with django_capture_on_commit_callbacks(execute=True):
            credits_grant(org=org, amount=amount, key=f"top-up:{next(counter)}", description="Top-up")

    return run


def _threshold(org, value: int) -> None:
    owner = org.memberships.get(role="owner")
    low_credit_threshold_set(org=org, actor=owner, threshold=value)


def _low_emails(mailoutbox):
    return [m for m in mailoutbox if m.subject.startswith(SUBJECT)]


def test_falling_below_the_threshold_sends_one_email_to_owners_and_admins(org, people, top_up, spend, mailoutbox):
    top_up(120)
    _threshold(org, 100)

    spend(30)

    (message,) = _low_emails(mailoutbox)
    assert message.subject == "Northstar Talent is low on credits: 90 left"
    assert message.to == [people.owner.email, people.admin.email]
    assert "Northstar Talent has 90 credits available, below the 100 you asked us to warn you about." in message.body
    assert "Get more credits: http://testserver/o/northstar/billing/" in message.body
    assert "See what used them: http://testserver/o/northstar/credits/" in message.body
    assert BillingEmail.objects.filter(org=org, kind=BillingEmail.Kind.LOW_CREDIT).count() == 1


def test_staying_low_sends_nothing_more(org, people, top_up, spend, mailoutbox):
    top_up(120)
    _threshold(org, 100)

    spend(30)
    spend(20)
    hold_capture(hold=spend(10))
    hold_release(hold=spend(5))

    assert len(_low_emails(mailoutbox)) == 1


def test_a_top_up_re_arms_it_so_each_crossing_sends_one_email(org, people, top_up, spend, mailoutbox):
    top_up(120)
    _threshold(org, 100)

    spend(30)  # 90: below
    top_up(50)  # 140: back above
    spend(50)  # 90: below again

    assert len(_low_emails(mailoutbox)) == 2


def test_a_top_up_that_stays_below_does_not_re_arm_it(org, people, top_up, spend, mailoutbox):
    top_up(120)
    _threshold(org, 100)

    spend(30)  # 90
    top_up(5)  # 95: still below
    spend(10)

    assert len(_low_emails(mailoutbox)) == 1


def test_released_credits_do_not_re_arm_it(org, people, top_up, spend, mailoutbox):
    """A job that keeps failing gives its credits back each time; that mustn't email each time."""
    top_up(120)
    _threshold(org, 100)

    for _ in range(3):
        hold_release(hold=spend(30))

    assert len(_low_emails(mailoutbox)) == 1


def test_a_threshold_of_zero_never_sends(org, people, top_up, spend, mailoutbox):
    top_up(120)
    _threshold(org, 0)

    spend(120)

    assert _low_emails(mailoutbox) == []


def test_a_plan_grant_below_the_threshold_sends_nothing(org, people, top_up, mailoutbox):
    """Receiving credits is not running low, even when they are few."""
    _threshold(org, 100)

    top_up(40)

    assert _low_emails(mailoutbox) == []


def test_a_support_adjustment_that_removes_credits_can_cross_it(
    org, people, top_up, mailoutbox, django_capture_on_commit_callbacks
):
    top_up(120)
    _threshold(org, 100)
    staff = UserFactory(is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):
        credits_adjust(org=org, amount=-50, reason="Refunded a duplicate top-up", actor=staff)

    assert len(_low_emails(mailoutbox)) == 1
    assert ledger_problems(org) == []


def test_lowering_the_threshold_below_the_balance_re_arms_it(org, people, top_up, spend, mailoutbox):
    top_up(300)
    _threshold(org, 500)
    spend(10)  # 290, below 500: sent, and disarmed
    _threshold(org, 100)  # 290 is above the new threshold: armed again

    spend(200)  # 90

    assert [m.subject for m in _low_emails(mailoutbox)] == [
        "Northstar Talent is low on credits: 290 left",
        "Northstar Talent is low on credits: 90 left",
    ]


def test_a_rolled_back_job_sends_nothing(org, people, top_up, mailoutbox, django_capture_on_commit_callbacks):
    top_up(120)
    _threshold(org, 100)

    def job_failing_after_its_hold():
        with transaction.atomic():
            hold_reserve(org=org, amount=30, key="rolled-back", operation="upscale", description="Upscale")
            raise RuntimeError("the job couldn't be saved")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        job_failing_after_its_hold()

    assert _low_emails(mailoutbox) == []
    assert CreditAccount.objects.get(org=org).low_credit_armed


def test_only_owners_and_admins_may_set_the_threshold(org, people):
    member = org.memberships.get(user=people.member)

    with pytest.raises(DomainError, match="Only owners and admins"):
        low_credit_threshold_set(org=org, actor=member, threshold=10)


# --- The form on the Billing page -----------------------------------------------------------------

BILLING = "/o/northstar/billing/"
FORM = "/o/northstar/billing/low-credit-email/"


def test_the_billing_page_shows_admins_the_threshold_form(client, org, people):
    client.force_login(people.admin)

    response = client.get(BILLING)

    assert "Email owners and admins when available credits fall below" in text_of(response)
    assert 'name="threshold" value="50"' in response.content.decode()


def test_the_billing_page_tells_members_the_threshold_without_a_form(client, org, people):
    client.force_login(people.member)

    response = client.get(BILLING)

    assert "Owners and admins get an email when available credits fall below 50." in text_of(response)
    assert 'name="threshold"' not in response.content.decode()


def test_an_admin_sets_the_threshold(client, org, people):
    client.force_login(people.admin)

    response = client.post(FORM, {"threshold": "250"}, follow=True)

    assert "Saved. Owners and admins get an email when available credits fall below 250." in text_of(response)
    assert CreditAccount.objects.get(org=org).low_credit_threshold == 250


def test_an_owner_turns_it_off_with_htmx_and_sees_the_card_again(client, org, people):
    client.force_login(people.owner)

    response = client.post(FORM, {"threshold": "0"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="low-credit-alert")

    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card"')
    assert "Saved. The low-credit email is off." in text_of(response)
    assert CreditAccount.objects.get(org=org).low_credit_threshold == 0


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("-5", "Enter 0 or more; 0 turns the email off."),
        ("lots", "Enter a whole number of credits, like 100."),
        ("", "Enter a number of credits, or 0 to turn the email off."),
        ("2000000", "Enter at most 1,000,000."),
    ],
)
def test_it_explains_a_threshold_it_cannot_use_and_keeps_what_was_typed(client, org, people, typed, error):
    client.force_login(people.owner)

    response = client.post(FORM, {"threshold": typed})

    assert response.status_code == 400
    assert error in text_of(response)
    if typed:
        assert f'value="{typed}"' in response.content.decode()
    assert not CreditAccount.objects.filter(org=org).exclude(low_credit_threshold=50).exists()


def test_members_viewers_and_outsiders_cannot_set_it(client, org, people):
    for person, status in ((people.member, 403), (people.viewer, 403), (people.outsider, 404)):
        client.force_login(person)
        assert client.post(FORM, {"threshold": "1"}).status_code == status
    assert not CreditAccount.objects.filter(org=org, low_credit_threshold=1).exists()


# --- Concurrency ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_jobs_crossing_together_send_one_email(mailoutbox):
    org = OrganizationFactory(name="Northstar Talent", slug="northstar")
    MembershipFactory(org=org, role="owner")
    credits_grant(org=org, amount=200, key="race:grant", description="Credits")
    CreditAccount.objects.filter(org=org).update(low_credit_threshold=150)

    def start(i):
        return hold_reserve(org=org, amount=10, key=f"race:{i}", operation="upscale", description="Upscale")

    results = _race(8, start)

    assert not [r for r in results if isinstance(r, Exception)]
    assert len(_low_emails(mailoutbox)) == 1
    assert BillingEmail.objects.filter(org=org, kind=BillingEmail.Kind.LOW_CREDIT).count() == 1
    assert ledger_problems(org) == []
    connection.close()
