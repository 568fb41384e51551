"""The credits ledger: grants, adjustments, holds and their settlement, expiry and the invariants."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import services, tasks
from billing.models import CreditAccount, Hold, LedgerEntry
from billing.services import (
    InsufficientCredits,
    credit_account,
    credits_adjust,
    credits_available,
    credits_grant,
    hold_capture,
    hold_release,
    hold_reserve,
    holds_release_expired,
    ledger_problems,
    org_create_on_default_plan,
)
from core.exceptions import DomainError
from orgs.models import Membership, Organization
from tests.factories import OrganizationFactory, UserFactory
from tests.more_factories import StaffUserFactory


def _funded(org, amount=100):
    credits_grant(org=org, amount=amount, key=f"test-grant:{org.pk}:{amount}", description="Test credits")
    return org


def _reserve(org, amount, key="job:1", **kwargs):
    kwargs.setdefault("operation", "upscale")
    kwargs.setdefault("description", "Upscale 4× of “beach.jpg”")
    return hold_reserve(org=org, amount=amount, key=key, **kwargs)


def _account(org):
    return CreditAccount.objects.get(org=org)


# --- Accounts and grants --------------------------------------------------------------------------


def test_an_org_without_an_account_has_nothing_available(org):
    assert credits_available(org) == 0
    assert not CreditAccount.objects.filter(org=org).exists()


def test_credit_account_creates_the_account_once(org):
    first = credit_account(org)
    second = credit_account(org)

    assert first.pk == second.pk
    assert (first.balance, first.held) == (0, 0)


def test_a_grant_adds_credits_and_writes_an_entry(org, people):
    entry = credits_grant(org=org, amount=250, key="stripe-invoice:in_1", description="Studio plan credits")

    assert credits_available(org) == 250
    assert entry.kind == LedgerEntry.Kind.GRANT
    assert (entry.amount, entry.held_delta, entry.balance_after, entry.held_after) == (250, 0, 250, 0)
    assert entry.org == org
    assert ledger_problems(org) == []


def test_a_grant_applies_once_per_key(org):
    assert credits_grant(org=org, amount=100, key="stripe-invoice:in_1", description="April") is not None

    assert credits_grant(org=org, amount=100, key="stripe-invoice:in_1", description="April again") is None

    assert credits_available(org) == 100
    assert LedgerEntry.objects.filter(org=org).count() == 1


@pytest.mark.parametrize("amount", [0, -5, 2.5, True, "10"])
def test_a_grant_must_be_a_positive_whole_number(org, amount):
    with pytest.raises(DomainError, match="whole number above zero"):
        credits_grant(org=org, amount=amount, key="bad", description="Bad")

    assert not LedgerEntry.objects.exists()


# --- Adjustments ----------------------------------------------------------------------------------


def test_an_adjustment_records_the_staff_member_and_the_reason(org):
    staff = StaffUserFactory()
    _funded(org, 100)

    added = credits_adjust(org=org, amount=40, reason="Refund for a failed render", actor=staff)
    removed = credits_adjust(org=org, amount=-15, reason="Duplicate refund", actor=staff)

    assert (added.kind, added.amount, added.balance_after, added.actor, added.reason) == (
        LedgerEntry.Kind.ADJUSTMENT,
        40,
        140,
        staff,
        "Refund for a failed render",
    )
    assert (removed.amount, removed.balance_after) == (-15, 125)
    assert credits_available(org) == 125
    assert ledger_problems(org) == []


def test_an_adjustment_with_the_same_key_applies_once(org):
    staff = StaffUserFactory()

    first = credits_adjust(org=org, amount=10, reason="Goodwill", actor=staff, key="admin-adjust:1")
    again = credits_adjust(org=org, amount=10, reason="Goodwill", actor=staff, key="admin-adjust:1")

    assert first.pk == again.pk
    assert credits_available(org) == 10


def test_an_adjustment_cannot_take_the_balance_below_what_is_held(org):
    staff = StaffUserFactory()
    _funded(org, 100)
    _reserve(org, 70)

    with pytest.raises(DomainError) as error:
        credits_adjust(org=org, amount=-40, reason="Chargeback", actor=staff)

    assert "70 credits are held" in error.value.message
    assert "Remove at most 30" in error.value.message
    assert (_account(org).balance, _account(org).held) == (100, 70)
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()
    assert credits_adjust(org=org, amount=-30, reason="Chargeback", actor=staff).balance_after == 70


def test_an_adjustment_cannot_make_the_balance_negative(org):
    with pytest.raises(DomainError, match="leave a balance of -5"):
        credits_adjust(org=org, amount=-5, reason="Oops", actor=StaffUserFactory())


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [(0, "Why", "other than zero"), (5, "   ", "Give a reason"), (1.5, "Why", "other than zero")],
)
def test_an_adjustment_needs_an_amount_and_a_reason(org, amount, reason, message):
    with pytest.raises(DomainError, match=message):
        credits_adjust(org=org, amount=amount, reason=reason, actor=StaffUserFactory())


# --- Holds ----------------------------------------------------------------------------------------


def test_a_hold_sets_credits_aside_and_records_the_job(org, people):
    _funded(org, 100)
    job = Membership.objects.get(org=org, user=people.member)  # any model instance stands in for a job

    hold = _reserve(org, 15, subject=job, user=people.member)

    assert credits_available(org) == 85
    assert (_account(org).balance, _account(org).held) == (100, 15)
    assert hold.status == Hold.Status.ACTIVE
    assert hold.subject == job
    assert hold.created_by == people.member
    assert hold.operation == "upscale"
    assert hold.expires_at - hold.created_at == timedelta(hours=24)
    entry = LedgerEntry.objects.get(hold=hold)
    assert (entry.kind, entry.amount, entry.held_delta, entry.balance_after, entry.held_after) == (
        LedgerEntry.Kind.HOLD,
        0,
        15,
        100,
        15,
    )
    assert entry.actor == people.member
    assert ledger_problems(org) == []


def test_a_hold_needs_enough_available_credits(org):
    _funded(org, 20)
    _reserve(org, 12, key="job:1")

    with pytest.raises(InsufficientCredits) as error:
        _reserve(org, 15, key="job:2")

    assert (error.value.needed, error.value.available) == (15, 8)
    assert error.value.message == "This needs 15 credits; you have 8 available."
    assert isinstance(error.value, DomainError)
    assert not Hold.objects.filter(idempotency_key="job:2").exists()
    assert credits_available(org) == 8


def test_an_org_with_no_account_is_told_it_has_nothing(org):
    with pytest.raises(InsufficientCredits, match=r"This needs 1 credit; you have 0 available\."):
        _reserve(org, 1)


def test_the_same_key_returns_the_same_hold(org):
    _funded(org, 100)

    first = _reserve(org, 10, key="job:abc")
    again = _reserve(org, 10, key="job:abc")

    assert first.pk == again.pk
    assert credits_available(org) == 90


def test_a_hold_key_of_another_org_is_refused(org, people):
    _funded(org, 100)
    _funded(people.other_org, 100)
    _reserve(org, 10, key="job:abc")

    with pytest.raises(ValueError, match="another organisation"):
        _reserve(people.other_org, 10, key="job:abc")


@pytest.mark.parametrize("amount", [0, -3])
def test_a_hold_must_be_positive(org, amount):
    _funded(org, 100)

    with pytest.raises(DomainError):
        _reserve(org, amount)


def test_a_hold_names_a_priced_operation(org):
    _funded(org, 100)

    with pytest.raises(ValueError, match="Unknown operation"):
        _reserve(org, 5, operation="teleport")


def test_insufficient_credits_inside_an_outer_transaction_leaves_it_usable(org):
    _funded(org, 5)

    with transaction.atomic():
        with pytest.raises(InsufficientCredits):
            _reserve(org, 10)
        _reserve(org, 5, key="job:2")

    assert credits_available(org) == 0


# --- Capture and release --------------------------------------------------------------------------


def test_capturing_charges_the_hold(org):
    _funded(org, 100)
    hold = _reserve(org, 15)

    assert hold_capture(hold=hold) is True

    assert (_account(org).balance, _account(org).held) == (85, 0)
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount) == (Hold.Status.CAPTURED, 15)
    assert hold.settled_at is not None
    entry = LedgerEntry.objects.get(hold=hold, kind=LedgerEntry.Kind.CAPTURE)
    assert (entry.amount, entry.held_delta, entry.balance_after, entry.held_after) == (-15, -15, 85, 0)
    assert entry.idempotency_key == f"capture:{hold.pk}"
    assert ledger_problems(org) == []


def test_a_partial_capture_gives_back_the_rest(org):
    _funded(org, 100)
    hold = _reserve(org, 40)  # a pack of five images at 8

    assert hold_capture(hold=hold, amount=32) is True  # four succeeded

    assert (_account(org).balance, _account(org).held) == (68, 0)
    assert credits_available(org) == 68
    assert hold.captured_amount == 32  # the caller's instance is updated too
    assert ledger_problems(org) == []


def test_capturing_more_than_was_held_is_refused(org):
    _funded(org, 100)
    hold = _reserve(org, 10)

    with pytest.raises(DomainError, match="held 10 credits, so it can't be charged 11"):
        hold_capture(hold=hold, amount=11)

    hold.refresh_from_db()
    assert hold.status == Hold.Status.ACTIVE
    assert (_account(org).balance, _account(org).held) == (100, 10)


def test_a_negative_capture_is_refused(org):
    _funded(org, 100)
    hold = _reserve(org, 10)

    with pytest.raises(DomainError):
        hold_capture(hold=hold, amount=-1)


def test_releasing_gives_the_credits_back(org):
    _funded(org, 100)
    hold = _reserve(org, 25)

    assert hold_release(hold=hold, reason="The provider failed") is True

    assert (_account(org).balance, _account(org).held) == (100, 0)
    entry = LedgerEntry.objects.get(hold=hold, kind=LedgerEntry.Kind.RELEASE)
    assert (entry.amount, entry.held_delta, entry.reason) == (0, -25, "The provider failed")
    assert entry.idempotency_key == f"release:{hold.pk}"
    assert ledger_problems(org) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("capture", "capture"), ("capture", "release"), ("release", "release"), ("release", "capture")],
)
def test_a_hold_settles_once(org, first, second):
    _funded(org, 100)
    hold = _reserve(org, 10)
    settle = {"capture": lambda h: hold_capture(hold=h), "release": lambda h: hold_release(hold=h)}

    assert settle[first](Hold.objects.get(pk=hold.pk)) is True
    assert settle[second](Hold.objects.get(pk=hold.pk)) is False

    assert LedgerEntry.objects.filter(hold=hold).count() == 2
    assert _account(org).balance == (90 if first == "capture" else 100)
    assert ledger_problems(org) == []


def test_the_ledger_refuses_a_second_settlement_entry_for_a_hold(org):
    _funded(org, 100)
    hold = _reserve(org, 10)
    hold_capture(hold=hold)
    account = _account(org)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            org=org, account=account, kind=LedgerEntry.Kind.CAPTURE, amount=-10, held_delta=0,
            balance_after=80, held_after=0, idempotency_key="sneaky", hold=hold, description="x",
        )  # fmt: skip


def test_the_database_refuses_holding_more_than_the_balance(org):
    _funded(org, 10)

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(org=org).update(held=11)


# --- Expiry ---------------------------------------------------------------------------------------


def test_expired_holds_are_released(org):
    _funded(org, 100)
    stale = _reserve(org, 10, key="job:stale", expires_in=timedelta(minutes=5))
    fresh = _reserve(org, 20, key="job:fresh")
    settled = _reserve(org, 5, key="job:done", expires_in=timedelta(minutes=5))
    hold_capture(hold=settled)

    released = holds_release_expired(now=timezone.now() + timedelta(minutes=10))

    assert released == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Hold.Status.RELEASED
    assert fresh.status == Hold.Status.ACTIVE
    assert LedgerEntry.objects.get(hold=stale, kind=LedgerEntry.Kind.RELEASE).reason == services.EXPIRED_REASON
    assert (_account(org).balance, _account(org).held) == (95, 20)
    assert holds_release_expired(now=timezone.now() + timedelta(minutes=10)) == 0
    assert ledger_problems() == []


def test_the_beat_task_releases_expired_holds(org):
    _funded(org, 100)
    hold = _reserve(org, 10, expires_in=timedelta(seconds=-1))

    assert tasks.release_expired_holds.delay().get() == 1

    hold.refresh_from_db()
    assert hold.status == Hold.Status.RELEASED


# --- Invariants -----------------------------------------------------------------------------------


def test_ledger_problems_finds_a_cached_balance_that_drifted(org, people):
    _funded(org, 100)
    _funded(people.other_org, 50)
    _reserve(org, 10)
    CreditAccount.objects.filter(org=org).update(balance=120)  # what a read-modify-write bug would do

    problems = ledger_problems()

    assert any("balance 120 but the ledger sums to 100" in p for p in problems)
    assert all("Rival Studio" not in p for p in problems)
    assert ledger_problems(people.other_org) == []


def test_ledger_problems_finds_held_credits_without_an_active_hold(org):
    _funded(org, 100)
    hold = _reserve(org, 10)
    Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.RELEASED)

    problems = ledger_problems(org)

    assert any("active holds total 0" in p for p in problems)
    assert any(f"Hold {hold.pk} is released but has 1 hold, 0 capture and 0 release entries" in p for p in problems)


def test_the_nightly_check_reports_problems(org, caplog):
    _funded(org, 100)
    assert tasks.check_ledger.delay().get() == []

    CreditAccount.objects.filter(org=org).update(balance=101)

    assert len(tasks.check_ledger.delay().get()) >= 1
    assert "balance 101 but the ledger sums to 100" in caplog.text


def test_a_long_history_keeps_every_running_total_right(org):
    staff = StaffUserFactory()
    _funded(org, 500)
    for n in range(12):
        hold = _reserve(org, 10 + n, key=f"job:{n}")
        if n % 3 == 0:
            hold_capture(hold=hold)
        elif n % 3 == 1:
            hold_capture(hold=hold, amount=n)
        else:
            hold_release(hold=hold)
        if n % 4 == 0:
            credits_adjust(org=org, amount=n + 1, reason="Goodwill", actor=staff)

    assert ledger_problems(org) == []
    account = _account(org)
    last = LedgerEntry.objects.filter(org=org).order_by("-id").first()
    assert (last.balance_after, last.held_after) == (account.balance, account.held)


def test_deleting_an_organisation_deletes_its_ledger(org):
    _funded(org, 100)
    hold_capture(hold=_reserve(org, 10))

    Organization.objects.filter(pk=org.pk).delete()

    assert not LedgerEntry.objects.exists()
    assert not Hold.objects.exists()


# --- Where credits come from ----------------------------------------------------------------------


def test_creating_an_organisation_grants_the_free_plans_credits_once(db):
    user = UserFactory()

    org = org_create_on_default_plan(user=user, name="Bright Studio")

    assert credits_available(org) == 100
    entry = LedgerEntry.objects.get(org=org)
    assert (entry.kind, entry.amount, entry.description) == (LedgerEntry.Kind.GRANT, 100, "Free plan credits")
    assert entry.idempotency_key == f"plan-start:{org.public_id}"
    assert credits_grant(org=org, amount=100, key=f"plan-start:{org.public_id}", description="again") is None
    assert credits_available(org) == 100


def test_every_existing_org_got_an_account_from_the_migration(db):
    # The data migration ran before this test's organisations existed, so run its function again.
    from importlib import import_module

    from django.apps import apps

    migration = import_module("billing.migrations.0004_credit_accounts_for_existing_orgs")
    orgs = OrganizationFactory.create_batch(3)

    migration.create_accounts(apps, None)
    migration.create_accounts(apps, None)

    assert CreditAccount.objects.filter(org__in=orgs, balance=0, held=0).count() == 3
