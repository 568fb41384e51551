"""The dashboard and the plan page tell the truth: the plan step ticks once a plan is chosen, the plan
card shows the balance and what renews, and meters show characters, storage, seats and jobs."""

import datetime

import pytest
from bs4 import BeautifulSoup

from assets.tests.factories import AssetRowFactory
from billing.models import Plan
from characters.tests.factories import CharacterFactory
from core.tests.pages import text_of
from generation.tests.factories import EditJobFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/o/northstar/"
BILLING = "/o/northstar/billing/"


def _page(client, url) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).replace("\xa0", " ").split())


def _step(page: BeautifulSoup, title: str):
    return next(li for li in page.select(".checklist li") if title in li.get_text())


def _on_plan(org, slug: str, *, selected: bool = True) -> None:
    org.plan = Plan.objects.get(slug=slug)
    org.plan_selected_at = org.plan_selected_at if selected else None
    org.save(update_fields=["plan", "plan_selected_at"])


# --- The plan step ---------------------------------------------------------------------------------


def test_the_plan_step_is_open_on_the_default_plan_nobody_chose(login, org):
    _on_plan(org, "free", selected=False)

    step = _step(_page(login("owner"), DASHBOARD), "Choose your plan")

    assert "done" not in step["class"]


def test_the_plan_step_ticks_once_free_was_chosen(login, org):
    _on_plan(org, "free")

    step = _step(_page(login("owner"), DASHBOARD), "Choose your plan")

    assert "done" in step["class"]


def test_the_plan_step_ticks_on_a_paid_plan(login, org):
    _on_plan(org, "creator", selected=False)

    step = _step(_page(login("owner"), DASHBOARD), "Choose your plan")

    assert "done" in step["class"]


# --- The plan card ---------------------------------------------------------------------------------


def test_the_plan_card_shows_the_balance_and_the_monthly_credits(login, org, fund):
    _on_plan(org, "creator")
    fund(1234)

    card = _page(login("member"), DASHBOARD).select_one("#plan-card")

    assert _text(card.select_one('[data-field="balance"]')) == "1,234 credits available"
    assert _text(card.select_one('[data-field="renewal"]')) == "2,000 credits each month."
    assert "to start" not in _text(card)


def test_on_free_the_card_says_the_credits_came_once(login, org, fund):
    _on_plan(org, "free")
    org.memberships.exclude(role="owner").delete()
    fund(100)

    card = _page(login("owner"), DASHBOARD).select_one("#plan-card")

    assert _text(card.select_one('[data-field="balance"]')) == "100 credits available"
    assert _text(card.select_one('[data-field="renewal"]')).startswith("100 credits granted once")


def test_the_plan_card_shows_the_renewal_date_when_the_subscription_knows_it(login, org):
    from billing.models import BillingSubscription

    BillingSubscription.objects.create(
        org=org,
        plan=org.plan,
        status="active",
        current_period_end=datetime.datetime(2027, 1, 7, 12, tzinfo=datetime.UTC),
    )

    card = _page(login("member"), DASHBOARD).select_one("#plan-card")

    assert _text(card.select_one('[data-field="renewal"]')) == "Renews on 7 January 2027 with 6,000 credits."


def test_the_plan_card_shows_storage_used_of_the_quota_with_a_bar(login, org):
    AssetRowFactory(org=org, stored_bytes=3 * 1024**3)  # Studio: 250 GB
    CharacterFactory.create_batch(2, org=org)

    card = _page(login("member"), DASHBOARD).select_one("#plan-card")

    storage = card.select_one('[data-meter="storage"]')
    assert _text(storage.select_one('[data-field="summary"]')) == "3.0 GB of 250.0 GB"
    assert storage.select_one('[role="progressbar"]')["aria-valuenow"] == "1"
    assert _text(card.select_one('[data-meter="characters"] [data-field="summary"]')) == "2 of 10"
    assert _text(card.select_one('[data-meter="seats"] [data-field="summary"]')) == "3 of 3"


# --- The plan page's meters ------------------------------------------------------------------------


def test_the_plan_page_meters_characters_storage_seats_and_jobs(login, org):
    _on_plan(org, "creator")  # 3 characters, 50 GB, 1 seat, 3 jobs at once
    CharacterFactory.create_batch(3, org=org)
    AssetRowFactory(org=org, stored_bytes=10 * 1024**3)
    EditJobFactory(org=org)

    page = _page(login("viewer"), BILLING)

    meters = {li["data-meter"]: li for li in page.select("#usage-meters li")}
    assert _text(meters["characters"].select_one('[data-field="summary"]')) == "3 of 3"
    assert "is-danger" in meters["characters"].select_one(".progress")["class"]
    assert _text(meters["storage"].select_one('[data-field="summary"]')).startswith("10.0 GB of 50.0 GB")
    assert _text(meters["seats"].select_one('[data-field="summary"]')) == "3 of 1"
    assert _text(meters["jobs"].select_one('[data-field="summary"]')) == "1 of 3"
    assert "everything you have stays" in _text(page)


def test_an_unlimited_plan_has_no_character_bar(login, org):
    _on_plan(org, "agency")
    CharacterFactory(org=org)

    meter = _page(login("viewer"), BILLING).select_one('#usage-meters [data-meter="characters"]')

    assert _text(meter) == "Characters 1 · unlimited"
    assert meter.select_one(".progress") is None


def test_the_credits_line_says_each_month_only_when_credits_recur(login, org):
    _on_plan(org, "free")

    assert "Free adds 100 credits once." in text_of(login("viewer").get(BILLING))
