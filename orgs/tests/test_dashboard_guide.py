"""The dashboard's first-run guide follows the checklist, and the plan card says what the
subscription really does."""

from datetime import UTC, datetime

from billing.models import BillingSubscription, Plan
from core.tests.pages import text_of

DASHBOARD = "/o/northstar/"


def test_it_guides_a_new_workspace_to_its_next_step(client, people, org):
    client.force_login(people.member)

    page = text_of(client.get(DASHBOARD))

    assert "your next step" in page
    assert "Open Characters and choose a way in." in page  # the first step not done yet


def test_the_guide_moves_on_as_steps_are_done_and_goes_when_all_are(client, people, org, monkeypatch):
    from orgs import selectors

    steps = selectors.getting_started_steps(org)
    for step in steps[:3]:
        step["done"] = True
    monkeypatch.setattr(selectors, "getting_started_steps", lambda _org: steps)
    client.force_login(people.member)
    page = text_of(client.get(DASHBOARD))
    assert f"Step 4 of {len(steps)}" in page
    assert steps[3]["guide"] in page

    for step in steps:
        step["done"] = True
    assert "your next step" not in text_of(client.get(DASHBOARD))


def test_the_plan_card_shows_the_subscriptions_renewal_and_its_end(client, people, org):
    org.plan = Plan.objects.get(slug="studio")
    org.save()
    subscription = BillingSubscription.objects.create(
        org=org, plan=org.plan, status="active", current_period_end=datetime(2027, 1, 7, tzinfo=UTC)
    )
    client.force_login(people.member)
    assert "Renews on 7 January 2027 with" in text_of(client.get(DASHBOARD))

    subscription.cancel_at_period_end = True
    subscription.save()
    assert "Studio ends on 7 January 2027, then Free." in text_of(client.get(DASHBOARD))

    subscription.status, subscription.cancel_at_period_end = "past_due", False
    subscription.save()
    assert "The last payment failed" in text_of(client.get(DASHBOARD))
