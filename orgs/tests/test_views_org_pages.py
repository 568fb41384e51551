import pytest

from core.tests.pages import text_of
from tests.factories import UserFactory
from tests.more_factories import JoinRequestFactory

SETTINGS = "/o/northstar/settings/"


def _settings(org, **changes):
    return {"name": org.name, "email": org.email, "allow_join_requests": "on", **changes}


# --- Dashboard and sections -------------------------------------------------------------------


def test_it_shows_the_getting_started_checklist(client, people, org):
    client.force_login(people.member)

    response = client.get("/o/northstar/")

    assert response.status_code == 200
    page = text_of(response)
    assert "Getting started" in page
    assert "Create your first character" in page


def test_it_tells_admins_about_waiting_join_requests_on_the_dashboard(client, people, org):
    JoinRequestFactory(org=org, user=UserFactory())

    client.force_login(people.admin)
    assert "1 request to join Northstar Talent waiting for you." in text_of(client.get("/o/northstar/"))
    client.force_login(people.member)
    assert "waiting for you" not in text_of(client.get("/o/northstar/"))


@pytest.mark.parametrize("role", ["owner", "viewer"])
@pytest.mark.parametrize(
    ("path", "view"),
    [("characters", "characters:list"), ("studio", "generation:studio_home"), ("video", "video:home")],
)
def test_the_characters_studio_and_video_entries_open_their_apps(client, people, role, path, view):
    client.force_login(getattr(people, role))

    response = client.get(f"/o/northstar/{path}/")

    assert response.status_code == 200
    assert response.resolver_match.view_name == view


def test_it_answers_an_unknown_section_with_404(client, people):
    client.force_login(people.owner)

    assert client.get("/o/northstar/payroll/").status_code == 404


# --- Settings ---------------------------------------------------------------------------------


def test_it_shows_the_org_id_to_everyone_who_belongs(client, people, org):
    client.force_login(people.viewer)

    assert str(org.public_id) in text_of(client.get(SETTINGS))


def test_it_shows_viewers_the_settings_read_only(client, people, org):
    client.force_login(people.viewer)

    response = client.get(SETTINGS)

    assert response.status_code == 200
    assert "Only owners and admins can change these." in text_of(response)
    assert 'name="name"' not in response.content.decode()


def test_it_refuses_a_viewers_changes(client, people, org):
    client.force_login(people.viewer)

    response = client.post(SETTINGS, _settings(org, name="Hijacked"), follow=True)

    assert "Only owners and admins can change settings." in text_of(response)
    org.refresh_from_db()
    assert org.name == "Northstar Talent"


def test_it_lets_an_admin_save_settings(client, people, org):
    client.force_login(people.admin)

    response = client.post(SETTINGS, _settings(org, name="Northstar Studio", allow_join_requests=""), follow=True)

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Settings saved." in text_of(response)
    org.refresh_from_db()
    assert org.name == "Northstar Studio"
    assert org.allow_join_requests is False


def test_it_keeps_the_billing_email_for_owners_to_change(client, people, org):
    billing_email = org.email
    client.force_login(people.admin)

    response = client.post(SETTINGS, _settings(org, name="Renamed", email="admin-says@example.com"))

    assert response.status_code == 400
    assert "Only an owner can change the billing email." in text_of(response)
    assert 'value="admin-says@example.com"' in response.content.decode()
    org.refresh_from_db()
    assert (org.name, org.email) == ("Northstar Talent", billing_email)


def test_it_lets_an_owner_change_the_billing_email(client, people, org):
    client.force_login(people.owner)

    client.post(SETTINGS, _settings(org, email="accounts@northstar.example"))

    org.refresh_from_db()
    assert org.email == "accounts@northstar.example"


def test_it_shows_settings_errors_on_the_page(client, people, org):
    client.force_login(people.admin)

    response = client.post(SETTINGS, _settings(org, name="", email="nope"))

    assert response.status_code == 400
    page = text_of(response)
    assert "This field is required." in page
    assert "Enter a valid email address." in page
    org.refresh_from_db()
    assert org.name == "Northstar Talent"
