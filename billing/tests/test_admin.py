"""The support admin for credits: look things up, adjust a balance with a reason, release holds;
the ledger itself can't be edited there."""

import re

import pytest

from billing.models import CreditAccount, Hold, LedgerEntry
from billing.services import credits_grant, hold_reserve, ledger_problems
from core.tests.pages import text_of
from tests.more_factories import StaffUserFactory


@pytest.fixture
def staff(db, client):
    user = StaffUserFactory(email="support@personae.local", name="Sam Support")
    client.force_login(user)
    return user


@pytest.fixture
def account(org):
    credits_grant(org=org, amount=100, key="grant:1", description="Studio plan credits")
    return CreditAccount.objects.get(org=org)


def _adjust_url(account):
    return f"/admin/billing/creditaccount/{account.pk}/adjust/"


def _form_key(response) -> str:
    return re.search(r'name="key" value="([^"]+)"', response.content.decode()).group(1)


def test_the_accounts_list_finds_an_org_and_shows_its_numbers(client, staff, account, people):
    credits_grant(org=people.other_org, amount=5, key="grant:rival", description="Rival")
    hold_reserve(org=account.org, amount=30, key="job:1", operation="upscale", description="Upscale")

    response = client.get("/admin/billing/creditaccount/?q=northstar")

    page = text_of(response)
    assert response.status_code == 200
    assert "1 credit account" in page
    assert "Northstar Talent northstar 100 30 70" in page
    assert "Adjust credits" in page


def test_staff_adjust_credits_with_a_reason(client, staff, account):
    form = client.get(_adjust_url(account))
    assert form.status_code == 200
    assert "has a balance of 100 credits, 0 held by running jobs, so 100 available" in text_of(form)

    response = client.post(
        _adjust_url(account), {"amount": "-40", "reason": "Refund reversed", "key": _form_key(form)}, follow=True
    )

    assert "Removed 40 credits from Northstar Talent. Balance 60, 0 held." in text_of(response)
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert (entry.amount, entry.reason, entry.actor, entry.org) == (-40, "Refund reversed", staff, account.org)
    account.refresh_from_db()
    assert account.balance == 60
    assert ledger_problems(account.org) == []


def test_a_double_submitted_adjustment_applies_once(client, staff, account):
    key = _form_key(client.get(_adjust_url(account)))

    for _ in range(2):
        client.post(_adjust_url(account), {"amount": "25", "reason": "Goodwill", "key": key})

    account.refresh_from_db()
    assert account.balance == 125
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "10", "reason": ""}, "This field is required."),
        ({"amount": "0", "reason": "Why"}, "Enter a number other than zero."),
        ({"amount": "-200", "reason": "Chargeback"}, "Removing 200 credits would leave a balance of -100"),
    ],
)
def test_the_adjust_form_explains_what_it_refuses(client, staff, account, data, error):
    key = _form_key(client.get(_adjust_url(account)))

    response = client.post(_adjust_url(account), {**data, "key": key})

    assert response.status_code == 200
    assert error in text_of(response)
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()


def test_the_adjust_action_opens_the_form_for_one_account(client, staff, account):
    response = client.post(
        "/admin/billing/creditaccount/",
        {"action": "adjust_selected", "_selected_action": [account.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == _adjust_url(account)


def test_the_account_page_has_an_adjust_button_and_no_save(client, staff, account):
    response = client.get(f"/admin/billing/creditaccount/{account.pk}/change/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="{_adjust_url(account)}"' in body
    assert 'name="_save"' not in body


def test_the_ledger_is_read_only_in_the_admin(client, staff, account):
    entry = LedgerEntry.objects.get()

    listing = client.get("/admin/billing/ledgerentry/?q=northstar&kind__exact=grant")
    assert listing.status_code == 200
    assert "Studio plan credits" in text_of(listing)
    assert client.get("/admin/billing/ledgerentry/add/").status_code == 403
    assert client.get(f"/admin/billing/ledgerentry/{entry.pk}/delete/").status_code == 403
    assert client.post(f"/admin/billing/ledgerentry/{entry.pk}/change/", {"amount": "999"}).status_code == 403
    assert "delete_selected" not in listing.content.decode()
    entry.refresh_from_db()
    assert entry.amount == 100


def test_the_ledger_search_finds_an_entry_by_its_key(client, staff, account):
    response = client.get("/admin/billing/ledgerentry/?q=grant:1")

    assert "Studio plan credits" in text_of(response)


def test_staff_release_stuck_holds(client, staff, account):
    stuck = hold_reserve(org=account.org, amount=30, key="job:1", operation="upscale", description="Upscale")
    listing = client.get("/admin/billing/hold/?q=northstar&status__exact=active")
    assert "Upscale 2× or 4×" in text_of(listing)

    response = client.post(
        "/admin/billing/hold/", {"action": "release_selected", "_selected_action": [stuck.pk]}, follow=True
    )

    assert "Released 1 hold." in text_of(response)
    stuck.refresh_from_db()
    assert stuck.status == Hold.Status.RELEASED
    release = LedgerEntry.objects.get(kind=LedgerEntry.Kind.RELEASE)
    assert release.actor == staff
    account.refresh_from_db()
    assert account.held == 0
    assert ledger_problems(account.org) == []


def test_staff_without_the_permission_cannot_adjust(client, account):
    from tests.factories import UserFactory

    clerk = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="view_creditaccount"))
    client.force_login(clerk)

    assert client.get("/admin/billing/creditaccount/").status_code == 200
    assert client.get(_adjust_url(account)).status_code == 403


def test_people_who_are_not_staff_are_kept_out(client, people, account):
    client.force_login(people.owner)

    response = client.get(_adjust_url(account))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
