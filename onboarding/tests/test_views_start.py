import uuid

import pytest

from core.tests.pages import text_of
from orgs import services
from orgs.models import JoinRequest, Membership, Organization, Role
from tests.factories import UserFactory
from tests.more_factories import JoinRequestFactory

URL = "/orgs/new/"


@pytest.fixture
def sam(client, db):
    user = UserFactory(email="sam@example.com")
    client.force_login(user)
    return user


def test_it_offers_to_create_or_join(client, sam):
    response = client.get(URL)

    assert response.status_code == 200
    page = text_of(response)
    assert "Create an organisation" in page
    assert "Join your team" in page


def test_it_creates_an_org_and_takes_the_owner_there(client, sam):
    response = client.post(URL, {"action": "create", "name": "Acme Studio"}, follow=True)

    org = Organization.objects.get()
    assert response.redirect_chain[0][0] == "/o/acme-studio/"
    owner = Membership.objects.get(org=org)
    assert (owner.user, owner.role) == (sam, Role.OWNER)
    assert "Acme Studio is ready." in text_of(response)


@pytest.mark.parametrize(
    ("name", "error"), [("", "This field is required."), ("A", "Use at least 2 characters."), ("x" * 81, "at most 80")]
)
def test_it_shows_a_bad_name_on_the_page_and_creates_nothing(client, sam, name, error):
    response = client.post(URL, {"action": "create", "name": name})

    assert response.status_code == 400
    assert error in text_of(response)
    assert not Organization.objects.exists()


def test_it_sends_a_join_request_and_shows_it_waiting(client, sam, org):
    response = client.post(URL, {"action": "join", "org_id": str(org.public_id), "message": "Hi"}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    page = text_of(response)
    assert "Request sent to Northstar Talent" in page
    assert "You asked to join Northstar Talent" in page
    assert JoinRequest.objects.get().user == sam


@pytest.mark.parametrize(
    ("org_id", "error"),
    [
        ("not-an-id", "An organisation ID looks like"),
        (str(uuid.uuid4()), services.ORG_ID_NOT_FOUND),
        ("", "This field is required."),
    ],
)
def test_it_shows_a_bad_org_id_on_the_page_and_stores_nothing(client, sam, org, org_id, error):
    response = client.post(URL, {"action": "join", "org_id": org_id})

    assert response.status_code == 400
    assert error in text_of(response)
    assert not JoinRequest.objects.exists()


def test_it_answers_an_org_closed_to_requests_as_if_it_did_not_exist(client, sam, org):
    org.allow_join_requests = False
    org.save()

    response = client.post(URL, {"action": "join", "org_id": str(org.public_id)})

    assert response.status_code == 400
    assert services.ORG_ID_NOT_FOUND in text_of(response)
    assert "Northstar" not in text_of(response)
    assert not JoinRequest.objects.exists()


def test_it_keeps_the_other_form_empty_when_one_has_errors(client, sam):
    response = client.post(URL, {"action": "create", "name": "A", "org_id": "typed-in-the-wrong-box"})

    assert response.status_code == 400
    assert "Use at least 2 characters." in text_of(response)
    assert "This field is required." not in text_of(response)


def test_it_lets_the_requester_withdraw_a_waiting_request(client, sam, org):
    join_request = JoinRequestFactory(org=org, user=sam)

    response = client.post(f"/orgs/requests/{join_request.public_id}/cancel/", follow=True)

    assert "Your request to join Northstar Talent was withdrawn." in text_of(response)
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.CANCELLED


def test_it_does_not_let_anyone_else_withdraw_a_request(client, sam, org):
    join_request = JoinRequestFactory(org=org, user=UserFactory())

    response = client.post(f"/orgs/requests/{join_request.public_id}/cancel/")

    assert response.status_code == 404
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.PENDING


def test_it_lists_the_orgs_the_user_already_belongs_to(client, people):
    client.force_login(people.viewer)

    page = text_of(client.get(URL))

    assert "Create or join another organisation" in page
    assert "Or go back to Northstar Talent" in page
