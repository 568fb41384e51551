"""A plan picked on the pricing page is remembered through sign-up and preselected at the
onboarding plan step."""

from bs4 import BeautifulSoup

from billing.models import Plan
from core.tests.pages import text_of
from onboarding.selectors import SIGNUP_PLAN_SESSION_KEY
from tests.factories import UserFactory


def _plan_cards(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser").select_one(".plans")


def _founder(client):
    """Signed in, with a new organisation, at the plan step."""
    user = UserFactory(onboarded_at=None, welcomed_at=None)
    client.force_login(user)
    client.post("/orgs/new/", {"action": "create", "name": "Acme Studio"})
    client.post("/onboarding/about-you/", {"skip": "1"})
    return user


def test_sign_up_remembers_the_plan_picked_on_the_pricing_page(client, db):
    response = client.get("/accounts/signup/?plan=studio")

    assert response.status_code == 200
    assert client.session[SIGNUP_PLAN_SESSION_KEY] == "studio"
    assert "You chose the Studio plan ($79 a month)" in text_of(response)
    # The choice survives a form that comes back with errors (it posts without the query).
    response = client.post("/accounts/signup/", {"email": "not-an-email", "password1": "x", "password2": "y"})
    assert "You chose the Studio plan" in text_of(response)


def test_unknown_and_private_plans_are_ignored(client, db):
    Plan.objects.filter(slug="agency").update(is_public=False)

    for plan in ["agency", "platinum"]:
        response = client.get(f"/accounts/signup/?plan={plan}")
        assert SIGNUP_PLAN_SESSION_KEY not in client.session
        assert "You chose" not in text_of(response)


def test_the_plan_step_highlights_the_remembered_plan(client, db):
    client.get("/accounts/signup/?plan=creator")
    _founder(client)

    response = client.get("/onboarding/plan/")

    cards = _plan_cards(response)
    chosen = cards.select(".plan.is-chosen")
    assert [card["data-plan"] for card in chosen] == ["creator"]
    assert "Your pick" in chosen[0].get_text()
    assert not cards.select(".plan.is-featured")
    assert "You picked Creator on our pricing page" in text_of(response)
    # Paid checkout isn't available here yet: Free is still the one-click way in.
    assert cards.find("button", string="Start on Free")


def test_without_a_remembered_plan_studio_is_featured(client, db):
    _founder(client)

    cards = _plan_cards(client.get("/onboarding/plan/"))

    assert not cards.select(".plan.is-chosen")
    assert [card["data-plan"] for card in cards.select(".plan.is-featured")] == ["studio"]


def test_choosing_a_plan_forgets_the_remembered_one(client, db):
    client.get("/accounts/signup/?plan=creator")
    _founder(client)

    client.post("/onboarding/plan/", {"plan": "free"})

    assert SIGNUP_PLAN_SESSION_KEY not in client.session
