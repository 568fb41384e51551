import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from core.tests.pages import text_of
from orgs.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.more_factories import InvitationFactory

URL = "/invitations/s3cret/"


@pytest.fixture
def invitation(org, people):
    return InvitationFactory(
        org=org, email="kim@example.com", role=Role.VIEWER, invited_by=people.admin, token="s3cret"
    )


def _links(response, label):
    anchors = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', response.content.decode(), flags=re.S)
    return [urlsplit(href.replace("&amp;", "&")) for href, text in anchors if label in text]


def test_it_shows_an_anonymous_visitor_the_org_and_role(client, invitation, people):
    response = client.get(URL)

    assert response.status_code == 200
    page = text_of(response)
    assert "Join Northstar Talent" in page
    assert f"{people.admin.display_name} invited kim@example.com to join as viewer." in page


def test_it_links_an_anonymous_visitor_to_sign_up_with_the_invited_address(client, invitation):
    response = client.get(URL)

    [signup] = _links(response, "Create account")
    assert signup.path == "/accounts/signup/"
    assert parse_qs(signup.query) == {"email": ["kim@example.com"], "next": [URL]}
    assert {"next": [URL]} in [parse_qs(login.query) for login in _links(response, "Log in")]


def test_it_says_when_the_link_is_not_valid(client, invitation):
    response = client.get("/invitations/wrong/")

    assert response.status_code == 404
    assert "Invitation not found" in text_of(response)
    assert "This invitation link isn't valid" in text_of(response)


def test_it_sends_an_anonymous_visitor_who_accepts_to_log_in(client, invitation):
    response = client.post(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"
    assert not Membership.objects.filter(user__email="kim@example.com").exists()


def test_it_lets_the_invited_person_accept(client, invitation, org):
    kim = UserFactory(email="kim@example.com")
    client.force_login(kim)
    assert "Accept and join Northstar Talent" in text_of(client.get(URL))

    response = client.post(URL, follow=True)

    assert response.redirect_chain[-1][0] == "/o/northstar/"
    assert "Welcome to Northstar Talent! You joined as viewer." in text_of(response)
    assert Membership.objects.get(user=kim, org=org).role == Role.VIEWER


def test_it_explains_to_someone_signed_in_with_another_address_and_adds_nobody(client, invitation):
    lee = UserFactory(email="lee@example.com")
    client.force_login(lee)

    response = client.get(URL)
    assert response.status_code == 200
    page = text_of(response)
    assert "This invitation was sent to kim@example.com, but you're signed in as lee@example.com" in page
    assert "Accept and join" not in page

    response = client.post(URL, follow=True)
    assert "This invitation was sent to kim@example.com" in text_of(response)
    assert not Membership.objects.filter(user=lee).exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_it_tells_an_existing_member_they_are_already_in(client, invitation, org):
    kim = MembershipFactory(org=org, user=UserFactory(email="kim@example.com"), role=Role.MEMBER).user
    client.force_login(kim)

    page = text_of(client.get(URL))

    assert "You're already a member of Northstar Talent." in page
    assert "Accept and join" not in page


def test_it_explains_an_expired_link(client, invitation, people):
    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    invitation.save()

    page = text_of(client.get(URL))

    assert f"This invitation has expired. Ask {people.admin.display_name} to send a new one." in page
    assert "Create account" not in page


def test_it_signs_up_a_new_person_from_the_link_without_a_verification_email(client, invitation, org, mailbox):
    client.get(URL)  # opening the emailed link proves the address

    response = client.post(
        "/accounts/signup/",
        {
            "email": "kim@example.com",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
            "next": URL,
        },
    )

    kim = User.objects.get(email="kim@example.com")
    assert response.status_code == 302
    assert response["Location"] == URL
    assert int(client.session["_auth_user_id"]) == kim.pk
    assert EmailAddress.objects.get(user=kim).verified
    assert mailbox.all() == []

    assert "Accept and join Northstar Talent" in text_of(client.get(URL))
    response = client.post(URL)

    assert Membership.objects.get(user=kim, org=org).role == Role.VIEWER
    assert response["Location"] == "/onboarding/about-you/"


def test_it_never_marks_a_different_typed_address_as_verified(client, invitation, mailbox):
    # The link proves only the invited address: allauth files the account under it and keeps the
    # typed address as an unverified extra.
    client.get(URL)

    client.post(
        "/accounts/signup/",
        {"email": "other@example.com", "password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"},
    )

    user = User.objects.get(email="kim@example.com")
    assert not User.objects.filter(email="other@example.com").exists()
    assert not EmailAddress.objects.get(email="other@example.com").verified
    assert EmailAddress.objects.get(email="kim@example.com", user=user).verified
