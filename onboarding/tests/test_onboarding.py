import pytest
from allauth.account.models import EmailAddress

from accounts.models import QuestionnaireResponse, User
from core.tests.pages import text_of
from orgs.models import Organization, Role
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "a-long-new-passphrase"


def _sign_up(client, email="new@example.com"):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})


@pytest.fixture
def newcomer(client, db):
    """Someone who has just confirmed their address and has no organisation yet."""
    user = UserFactory(email="new@example.com", name="", onboarded_at=None, welcomed_at=None)
    client.force_login(user)
    return user


@pytest.fixture
def founder(client, newcomer):
    """A newcomer who has just created an organisation."""
    client.post("/orgs/new/", {"action": "create", "name": "Acme Studio"})
    return newcomer


def test_it_signs_up_verifies_and_walks_a_newcomer_to_the_dashboard(
    client, db, mailbox, django_capture_on_commit_callbacks
):
    response = _sign_up(client)
    assert response["Location"] == "/accounts/confirm-email/"
    assert "Check your email" in text_of(client.get(response["Location"]))
    assert "_auth_user_id" not in client.session
    user = User.objects.get(email="new@example.com")
    assert not EmailAddress.objects.get(user=user).verified

    confirm = mailbox.link(mailbox.only("new@example.com"), "/accounts/confirm-email/")
    assert client.get(confirm).status_code == 200
    response = client.post(confirm)
    assert response["Location"] == "/app/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert EmailAddress.objects.get(user=user).verified

    assert client.get("/app/")["Location"] == "/orgs/new/"
    response = client.post("/orgs/new/", {"action": "create", "name": "Acme Studio"})
    assert response["Location"] == "/onboarding/about-you/"

    response = client.post("/onboarding/about-you/", {"skip": "1"})
    assert response["Location"] == "/onboarding/plan/"
    assert "Choose a plan for Acme Studio" in text_of(client.get("/onboarding/plan/"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/onboarding/plan/", {"plan": "free"})
    assert response["Location"] == "/o/acme-studio/"
    assert client.get("/o/acme-studio/").status_code == 200

    org = Organization.objects.get()
    assert org.plan.slug == "free"
    assert org.plan_selected_at is not None
    user.refresh_from_db()
    assert user.onboarded_at is not None
    _confirmation, welcome = mailbox.to("new@example.com")
    assert welcome.subject == "Welcome to Personae, new"
    assert mailbox.link(welcome, "/o/acme-studio/")


def test_it_records_a_skipped_questionnaire(client, founder):
    client.post("/onboarding/about-you/", {"skip": "1"})

    response = QuestionnaireResponse.objects.get(user=founder)
    assert response.skipped is True
    assert response.role == ""


def test_it_stores_the_questionnaire_answers(client, founder):
    response = client.post(
        "/onboarding/about-you/",
        {
            "role": "agency",
            "team_size": "2-5",
            "primary_goal": "client_content",
            "platforms": ["instagram", "tiktok"],
            "monthly_volume": "100-500",
            "heard_from": "friend",
            "heard_from_detail": "Priya at Northstar",
        },
        follow=True,
    )

    assert response.redirect_chain[0] == ("/onboarding/plan/", 302)
    assert "Thanks — that helps us set things up for you." in text_of(response)
    answers = QuestionnaireResponse.objects.get(user=founder)
    assert answers.skipped is False
    assert answers.version == 1
    assert (answers.role, answers.team_size, answers.primary_goal) == ("agency", "2-5", "client_content")
    assert answers.platforms == ["instagram", "tiktok"]
    assert (answers.monthly_volume, answers.heard_from, answers.heard_from_detail) == (
        "100-500",
        "friend",
        "Priya at Northstar",
    )


def test_it_keeps_the_questionnaire_page_when_an_answer_is_not_a_choice(client, founder):
    response = client.post("/onboarding/about-you/", {"role": "astronaut"})

    assert response.status_code == 200
    assert "Select a valid choice." in text_of(response)
    assert not QuestionnaireResponse.objects.exists()


def test_it_sends_the_welcome_email_exactly_once(client, founder, mailbox, django_capture_on_commit_callbacks):
    client.post("/onboarding/about-you/", {"skip": "1"})

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/onboarding/plan/", {"plan": "free"})
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/app/")
        client.get("/app/")

    assert [m.subject for m in mailbox.to("new@example.com")] == ["Welcome to Personae, new"]
    assert User.objects.get(pk=founder.pk).welcomed_at is not None


def test_it_refuses_a_paid_plan_during_onboarding(client, founder):
    client.post("/onboarding/about-you/", {"skip": "1"})

    response = client.post("/onboarding/plan/", {"plan": "studio"})

    assert response.status_code == 200
    assert "The Studio plan is paid and needs checkout" in text_of(response)
    assert Organization.objects.get().plan.slug == "free"
    assert User.objects.get(pk=founder.pk).onboarded_at is None


def test_it_asks_again_when_no_plan_is_chosen(client, founder):
    client.post("/onboarding/about-you/", {"skip": "1"})

    response = client.post("/onboarding/plan/", {"plan": "nonsense"})

    assert "Choose one of the plans below." in text_of(response)


def test_it_skips_the_plan_step_for_people_who_joined_an_org(
    client, newcomer, org, mailbox, django_capture_on_commit_callbacks
):
    MembershipFactory(org=org, user=newcomer, role=Role.MEMBER)

    assert client.get("/app/")["Location"] == "/onboarding/about-you/"
    assert client.get("/onboarding/plan/")["Location"] == "/onboarding/about-you/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/onboarding/about-you/", {"skip": "1"})

    assert response["Location"] == "/o/northstar/"
    assert mailbox.only("new@example.com").subject == "Welcome to Personae, new"


def test_it_takes_an_onboarded_user_to_their_last_org(client, people, org):
    client.force_login(people.outsider)
    client.get("/o/rival/")

    assert client.get("/app/")["Location"] == "/o/rival/"


def test_it_lets_people_name_themselves(client, newcomer):
    response = client.post("/account/", {"name": "Sam Rivera"}, follow=True)

    assert "Profile saved." in text_of(response)
    assert User.objects.get(pk=newcomer.pk).name == "Sam Rivera"
