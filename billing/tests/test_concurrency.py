"""The ledger under concurrent requests, on the real PostgreSQL: threads start together behind a
barrier, each with its own database connection, and commit for real (transactional tests)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from billing.models import CreditAccount, Hold, LedgerEntry
from billing.services import (
    InsufficientCredits,
    credits_available,
    credits_grant,
    hold_capture,
    hold_release,
    hold_reserve,
    ledger_problems,
)
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n: int, action) -> list:
    """Run ``action(i)`` in ``n`` threads released at once; the result or exception of each."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = action(i)
        except Exception as e:
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def _kinds(results) -> Counter:
    return Counter(type(r).__name__ for r in results)


@pytest.fixture
def funded_org():
    org = OrganizationFactory()
    credits_grant(org=org, amount=100, key="test:start", description="Test credits")
    return org


def test_forty_clicks_with_credit_for_ten_get_exactly_ten_holds(funded_org):
    org = funded_org

    results = _race(
        40,
        lambda i: hold_reserve(org=org, amount=10, key=f"job:{i}", operation="image_hq", description=f"Image {i}"),
    )

    assert _kinds(results) == {"Hold": 10, "InsufficientCredits": 30}
    assert all(r.needed == 10 and r.available < 10 for r in results if isinstance(r, InsufficientCredits))
    account = CreditAccount.objects.get(org=org)
    assert (account.balance, account.held) == (100, 100)
    assert Hold.objects.filter(org=org, status=Hold.Status.ACTIVE).count() == 10
    assert credits_available(org) == 0
    assert ledger_problems(org) == []


def test_ten_requests_with_the_same_key_make_one_hold(funded_org):
    org = funded_org

    results = _race(
        10, lambda i: hold_reserve(org=org, amount=10, key="job:same", operation="image_hq", description="Image")
    )

    assert _kinds(results) == {"Hold": 10}
    assert len({hold.pk for hold in results}) == 1
    assert Hold.objects.filter(org=org).count() == 1
    assert CreditAccount.objects.get(org=org).held == 10
    assert ledger_problems(org) == []


def test_twenty_racing_captures_and_releases_settle_a_hold_once(funded_org):
    org = funded_org
    hold = hold_reserve(org=org, amount=30, key="job:1", operation="upscale_large", description="Upscale 6×")

    def settle(i):
        fresh = Hold.objects.get(pk=hold.pk)
        return hold_capture(hold=fresh, amount=20) if i % 2 else hold_release(hold=fresh, reason="Failed")

    results = _race(20, settle)

    assert results.count(True) == 1
    assert results.count(False) == 19
    hold.refresh_from_db()
    assert hold.status in (Hold.Status.CAPTURED, Hold.Status.RELEASED)
    assert LedgerEntry.objects.filter(hold=hold).exclude(kind=LedgerEntry.Kind.HOLD).count() == 1
    account = CreditAccount.objects.get(org=org)
    assert account.held == 0
    assert account.balance == (80 if hold.status == Hold.Status.CAPTURED else 100)
    assert ledger_problems(org) == []


def test_ten_identical_grants_credit_once():
    org = OrganizationFactory()

    results = _race(
        10,
        lambda i: credits_grant(org=org, amount=500, key="stripe-invoice:in_1", description="Monthly credits"),
    )

    assert sum(isinstance(r, LedgerEntry) for r in results) == 1
    assert results.count(None) == 9
    assert CreditAccount.objects.get(org=org).balance == 500
    assert ledger_problems(org) == []


def test_the_first_grants_of_a_new_org_create_one_account():
    org = OrganizationFactory()

    results = _race(10, lambda i: credits_grant(org=org, amount=5, key=f"promo:{i}", description="Promotional credits"))

    assert _kinds(results) == {"LedgerEntry": 10}
    assert CreditAccount.objects.filter(org=org).count() == 1
    assert credits_available(org) == 50
    assert ledger_problems(org) == []


def test_reserving_capturing_and_releasing_at_once_keep_the_books_straight(funded_org):
    org = funded_org
    credits_grant(org=org, amount=200, key="test:more", description="More")

    def job(i):
        try:
            hold = hold_reserve(org=org, amount=7, key=f"job:{i}", operation="image_draft", description=f"Draft {i}")
        except InsufficientCredits:
            return "refused"
        if i % 3 == 0:
            hold_release(hold=hold)
            return "released"
        hold_capture(hold=hold, amount=i % 7)
        return "captured"

    results = _race(40, job)

    assert _kinds(results) == {"str": 40}, [r for r in results if not isinstance(r, str)][:3]
    assert "refused" not in results  # 300 credits cover 40 × 7 at once
    assert CreditAccount.objects.get(org=org).held == 0
    assert ledger_problems(org) == []


def test_reserving_while_others_hold_the_org_lock_does_not_deadlock(funded_org):
    # Team and quota changes lock the organisation row (orgs.services.org_lock); a job started
    # inside such a transaction must not deadlock with reservations running beside it.
    import time

    from django.db import transaction

    from orgs.services import org_lock

    org = funded_org

    def job(i):
        if i % 2:
            with transaction.atomic():
                org_lock(org.pk)
                time.sleep(0.02)
                return hold_reserve(org=org, amount=1, key=f"job:{i}", operation="chat", description="Chat")
        hold = hold_reserve(org=org, amount=1, key=f"job:{i}", operation="chat", description="Chat")
        hold_capture(hold=hold)
        return hold

    results = _race(20, job)

    assert _kinds(results) == {"Hold": 20}, [str(r) for r in results if not isinstance(r, Hold)][:2]
    assert ledger_problems(org) == []
