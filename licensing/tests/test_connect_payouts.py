"""Stripe Connect and royalty payouts against the local test-mode Stripe, through the real stripe
client and dj-stripe's webhook view with real signatures: Express onboarding gates payouts and the
listing; payouts are exact to the cent, made once per creator and month, retried after a refused
transfer with the balance kept; a creator can't delete their account while royalties are unpaid."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from core.exceptions import DomainError
from licensing import payouts, selectors
from licensing.models import CreatorProfile, Payout, RoyaltyEntry
from privacy.deletion import account_delete, account_deletion_problems
from stripe_local import connect, delivery
from stripe_local.models import StripeObject
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.make_aware(datetime(2026, 12, 2, 6, 23))
LAST_MONTH = "2026-11"


def deliver():
    with TestCase.captureOnCommitCallbacks(execute=True):
        delivery.deliver_pending()
    waiting = StripeObject.objects.filter(kind="event", delivered_at=None)
    assert not waiting.exists(), list(waiting.values_list("data__type", "last_delivery_status"))


@pytest.fixture
def creator_client(client, creator_user):
    client.force_login(creator_user)
    return client


def onboard(creator_client, profile, *, finish=True):
    """The creator's way through: dashboard button → Stripe's (local) page → back to the dashboard."""
    response = creator_client.post(reverse("licensing:payouts_setup", args=[profile.org.slug, profile.public_id]))
    assert response.status_code == 302
    assert "/local-stripe/connect/acctlink_" in response["Location"]
    page = response["Location"].removeprefix("http://testserver")
    assert creator_client.get(page).status_code == 200
    back = creator_client.post(page, {"action": "finish" if finish else "leave"})
    assert back.status_code == 302
    return back["Location"]


@pytest.fixture
def unconfirmed(make_profile):
    profile = make_profile()
    CreatorProfile.objects.filter(pk=profile.pk).update(payouts_enabled=False, stripe_account_id="")
    profile.refresh_from_db()
    return profile


def test_it_lists_a_creator_only_once_stripe_reports_transfers_active(creator_client, unconfirmed):
    assert selectors.directory() == []

    left = onboard(creator_client, unconfirmed, finish=False)
    assert left.endswith(reverse("licensing:payouts_setup", args=[unconfirmed.org.slug, unconfirmed.public_id]))
    deliver()
    unconfirmed.refresh_from_db()
    assert unconfirmed.stripe_account_id.startswith("acct_")
    assert not unconfirmed.payouts_enabled

    back = onboard(creator_client, unconfirmed)
    assert "?payouts=returned" in back
    unconfirmed.refresh_from_db()
    assert not unconfirmed.payouts_enabled  # nothing changes until Stripe's webhook says so
    deliver()
    unconfirmed.refresh_from_db()
    assert unconfirmed.payouts_enabled
    assert selectors.directory() == [unconfirmed]
    account = StripeObject.objects.get(id=unconfirmed.stripe_account_id)
    assert account.data["type"] == "express"


def test_a_forged_account_updated_webhook_changes_nothing(creator_client, unconfirmed):
    onboard(creator_client, unconfirmed, finish=False)
    deliver()
    unconfirmed.refresh_from_db()
    account = connect.connected(unconfirmed.stripe_account_id)
    forged = {
        "id": "evt_forged",
        "object": "event",
        "type": "account.updated",
        "livemode": False,
        "api_version": "2026-05-27.dahlia",
        "created": 1,
        "data": {"object": account | {"capabilities": {"transfers": "active"}}},
    }
    assert delivery.post_event(forged, secret="whsec_wrong") == 400
    unconfirmed.refresh_from_db()
    assert not unconfirmed.payouts_enabled


@pytest.fixture
def paid_creator(creator_client, unconfirmed):
    onboard(creator_client, unconfirmed)
    deliver()
    unconfirmed.refresh_from_db()
    return unconfirmed


def accrue(licence, count, period=LAST_MONTH):
    RoyaltyEntry.objects.bulk_create(
        RoyaltyEntry(
            license=licence,
            profile=licence.profile,
            amount=licence.royalty_per_image,
            period=period,
            key=f"test:{licence.pk}:{period}:{n}",
        )
        for n in range(count)
    )


def transfers():
    return [row.data for row in StripeObject.objects.filter(kind="transfer")]


def test_a_thousand_images_at_a_fraction_of_a_cent_pay_exact_cents_and_carry_the_rest(
    paid_creator, licence_for, creator_user
):
    from licensing import services
    from licensing.tests.conftest import terms

    services.terms_change(profile=paid_creator, user=creator_user, terms=terms(royalty_per_image="0.0333"))
    licence = licence_for(paid_creator)
    accrue(licence, 1000)
    assert payouts.balance(paid_creator).accrued == Decimal("33.3000")

    assert payouts.payouts_run(TODAY) == 1
    assert [t["amount"] for t in transfers()] == [3330]

    accrue(licence, 999, period="2026-12")  # 999 × 0.0333 = 33.2667: 3,326 cents and 0.67 of a cent
    assert payouts.payouts_run(timezone.make_aware(datetime(2027, 1, 2))) == 1
    assert sorted(t["amount"] for t in transfers()) == [3326, 3330]
    assert payouts.balance(paid_creator).owed == Decimal("0.0067")


def test_running_the_payout_twice_makes_one_transfer_and_one_statement(paid_creator, licence_for, settings):
    settings.LICENSING_PAYOUT_MINIMUM_CENTS = 1000
    licence = licence_for(paid_creator)  # $0.25 an image
    accrue(licence, 60)

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert payouts.payouts_run(TODAY) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert payouts.payouts_run(TODAY) == 0
    deliver()  # transfer.created goes through dj-stripe's webhook like any event

    assert [(t["amount"], t["destination"]) for t in transfers()] == [(1500, paid_creator.stripe_account_id)]
    payout = Payout.objects.get()
    assert (payout.period, payout.status, payout.amount) == (LAST_MONTH, "paid", Decimal("15.00"))
    statements = [m for m in mail.outbox if "royalty statement" in m.subject]
    assert len(statements) == 1
    assert "$15.00" in statements[0].subject
    assert "60" in statements[0].body


def test_a_balance_under_the_minimum_waits(paid_creator, licence_for, settings):
    settings.LICENSING_PAYOUT_MINIMUM_CENTS = 1000
    accrue(licence_for(paid_creator), 39)  # $9.75
    assert payouts.payouts_run(TODAY) == 0
    assert transfers() == []
    assert not Payout.objects.exists()


def test_a_refused_transfer_keeps_the_balance_and_is_retried(paid_creator, licence_for):
    accrue(licence_for(paid_creator), 100)  # $25.00
    connect.transfers_fail_set(paid_creator.stripe_account_id, True)

    assert payouts.payouts_run(TODAY) == 0
    payout = Payout.objects.get()
    assert (payout.status, payout.failures) == ("failed", 1)
    assert "insufficient available funds" in payout.error
    assert transfers() == []
    assert payouts.balance(paid_creator).owed == Decimal("25.0000")  # nothing lost

    assert payouts.payouts_run(TODAY) == 0  # still refused: retried, still kept
    assert Payout.objects.get().failures == 2

    connect.transfers_fail_set(paid_creator.stripe_account_id, False)
    assert payouts.payouts_run(TODAY) == 1
    assert [t["amount"] for t in transfers()] == [2500]
    assert Payout.objects.get().status == "paid"
    assert payouts.balance(paid_creator).owed == 0


def test_no_payout_before_stripe_confirms_the_account(unconfirmed, licence_for):
    CreatorProfile.objects.filter(pk=unconfirmed.pk).update(payouts_enabled=True)  # to license it
    licence = licence_for(unconfirmed)
    CreatorProfile.objects.filter(pk=unconfirmed.pk).update(payouts_enabled=False)
    accrue(licence, 100)
    assert payouts.payouts_run(TODAY) == 0
    assert transfers() == []


def test_a_creator_cannot_delete_their_account_with_unpaid_royalties(paid_creator, licence_for, creator_user):
    accrue(licence_for(paid_creator), 10)  # $2.50, under the minimum

    problems = account_deletion_problems(creator_user)
    assert any("Maya Lindqvist is still owed $2.50 in licensing royalties" in p for p in problems)
    with pytest.raises(DomainError, match=r"still owed \$2\.50"):
        account_delete(user=creator_user, password=PASSWORD)
    creator_user.refresh_from_db()

    payout = payouts.payout_now(profile=paid_creator)
    assert payout.status == "paid"
    assert payout.amount_cents == 250
    assert not any("royalties" in p for p in account_deletion_problems(creator_user))
