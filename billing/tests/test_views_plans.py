"""The plan page (orgs:billing): the current plan and seats, and the owner's move to a free plan."""

from billing.models import Plan
from core.tests.pages import text_of

BILLING = "/o/northstar/billing/"


def test_it_shows_the_current_plan_and_seats(client, people):
    client.force_login(people.viewer)

    page = text_of(client.get(BILLING))

    assert "Current plan Studio" in page
    assert "Seats used 3 of 3" in page


def test_it_lets_an_owner_move_to_the_free_plan(client, people, org):
    org.memberships.filter(user__in=[people.admin, people.member]).delete()
    client.force_login(people.owner)

    response = client.post(BILLING, {"plan": "free"}, follow=True)

    assert "Northstar Talent is on the Free plan." in text_of(response)
    org.refresh_from_db()
    assert org.plan.slug == "free"


def test_it_explains_why_it_cannot_move_a_full_team_to_free(client, people, org):
    client.force_login(people.owner)

    response = client.post(BILLING, {"plan": "free"}, follow=True)

    assert "uses 3 seats and the Free plan includes 1" in text_of(response)
    org.refresh_from_db()
    assert org.plan.slug == "studio"


def test_it_refuses_to_switch_on_a_paid_plan(client, people, org):
    org.plan = Plan.objects.get(slug="free")
    org.save()
    client.force_login(people.owner)

    response = client.post(BILLING, {"plan": "agency"}, follow=True)

    assert "The Agency plan is paid and needs checkout" in text_of(response)
    org.refresh_from_db()
    assert org.plan.slug == "free"


def test_it_lets_only_owners_choose_a_plan(client, people, org):
    client.force_login(people.admin)

    response = client.post(BILLING, {"plan": "free"}, follow=True)

    assert "Only an owner can choose the organisation's plan." in text_of(response)
    org.refresh_from_db()
    assert org.plan.slug == "studio"


def test_it_answers_an_unknown_plan_with_404(client, people, org):
    client.force_login(people.owner)

    assert client.post(BILLING, {"plan": "platinum"}).status_code == 404
    org.refresh_from_db()
    assert org.plan.slug == "studio"
