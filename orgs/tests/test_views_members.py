import pytest

from core.tests.pages import text_of
from orgs.models import Invitation, JoinRequest, Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.more_factories import InvitationFactory, JoinRequestFactory

URL = "/o/northstar/settings/members/"
HTMX = {"HX-Request": "true", "HX-Target": "members-panel"}


def _is_partial(response):
    body = response.content.decode()
    return 'id="members-panel"' in body and "<html" not in body and 'class="sidebar"' not in body


@pytest.fixture
def admin(client, people, agency_plan):
    client.force_login(people.admin)
    return people.admin


# --- The page ---------------------------------------------------------------------------------


def test_it_shows_admins_the_team_invitations_and_requests(client, admin, people, org):
    InvitationFactory(org=org, email="kim@example.com", invited_by=people.owner)
    JoinRequestFactory(org=org, user=UserFactory(email="sam@example.com"), message="From the content team")

    page = text_of(client.get(URL))

    assert "Invite people" in page
    for person in (people.owner, people.admin, people.member, people.viewer):
        assert person.email in page
    assert people.outsider.email not in page
    assert "kim@example.com" in page
    assert "sam@example.com" in page
    assert "“From the content team”" in page


def test_it_shows_viewers_the_team_but_no_management(client, people, org):
    InvitationFactory(org=org, email="kim@example.com")
    JoinRequestFactory(org=org, user=UserFactory(email="sam@example.com"))
    client.force_login(people.viewer)

    response = client.get(URL)

    assert response.status_code == 200
    page = text_of(response)
    assert people.owner.email in page
    assert "Invite people" not in page
    assert "kim@example.com" not in page
    assert "sam@example.com" not in page
    assert 'action="/o/northstar/settings/members/invite/"' not in response.content.decode()


def test_it_counts_the_seats_in_use(client, people, org):
    client.force_login(people.owner)

    assert "3 of 3 seats used" in text_of(client.get(URL))


# --- Inviting ---------------------------------------------------------------------------------


def test_it_invites_with_a_normal_form_post(client, admin, org, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL + "invite/", {"email": "kim@example.com", "role": "member"}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    page = text_of(response)
    assert "Invitation sent to kim@example.com." in page
    assert f"kim@example.com Invited by {admin.display_name}" in page
    assert Invitation.objects.get(org=org).email == "kim@example.com"
    assert mailbox.only("kim@example.com")


def test_it_invites_over_htmx_and_returns_only_the_members_panel(client, admin, org):
    response = client.post(URL + "invite/", {"email": "kim@example.com", "role": "viewer"}, headers=HTMX)

    assert response.status_code == 200
    assert _is_partial(response)
    page = text_of(response)
    assert "kim@example.com" in page
    assert "Invitation sent to kim@example.com." in page  # the toast, swapped out of band
    assert 'hx-swap-oob="beforeend"' in response.content.decode()
    assert Invitation.objects.get(org=org).role == Role.VIEWER


def test_it_shows_form_errors_in_the_page_and_stores_nothing(client, admin):
    response = client.post(URL + "invite/", {"email": "not-an-email", "role": "member"})

    assert response.status_code == 400
    assert "Enter a valid email address." in text_of(response)
    assert 'value="not-an-email"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_it_shows_an_error_about_the_role_in_the_page(client, admin):
    response = client.post(URL + "invite/", {"email": "kim@example.com", "role": "owner"})

    assert response.status_code == 400
    assert not Invitation.objects.exists()
    assert "Select a valid choice." in text_of(response)


def test_it_shows_a_broken_rule_next_to_the_field(client, admin, people):
    response = client.post(URL + "invite/", {"email": people.member.email, "role": "member"})

    assert response.status_code == 400
    assert f"{people.member.email} is already a member of Northstar Talent." in text_of(response)
    assert not Invitation.objects.exists()


def test_it_shows_htmx_form_errors_in_the_panel_with_a_swappable_status(client, admin):
    response = client.post(URL + "invite/", {"email": "kim@", "role": "member"}, headers=HTMX)

    assert response.status_code == 200
    assert _is_partial(response)
    assert "Enter a valid email address." in text_of(response)
    assert not Invitation.objects.exists()


def test_it_tells_an_admin_that_only_owners_invite_admins(client, admin):
    response = client.post(URL + "invite/", {"email": "kim@example.com", "role": "admin"}, headers=HTMX)

    assert not Invitation.objects.exists()
    assert "Only an owner can invite admins." in text_of(response)


def test_it_forbids_a_viewer_to_invite(client, people):
    client.force_login(people.viewer)

    response = client.post(URL + "invite/", {"email": "kim@example.com", "role": "viewer"})

    assert response.status_code == 403
    assert "Only owners and admins can do this." in text_of(response)
    assert not Invitation.objects.exists()


# --- Managing people --------------------------------------------------------------------------


def test_it_changes_a_role(client, admin, members, people):
    response = client.post(URL + f"{members.member.public_id}/role/", {"role": "viewer"}, follow=True)

    assert f"{people.member.display_name} is now viewer." in text_of(response)
    assert members.member.role == Role.VIEWER


def test_it_changes_a_role_over_htmx(client, admin, members):
    response = client.post(URL + f"{members.viewer.public_id}/role/", {"role": "member"}, headers=HTMX)

    assert response.status_code == 200
    assert _is_partial(response)
    assert members.viewer.role == Role.MEMBER


def test_it_refuses_a_role_that_is_not_listed(client, admin, members):
    response = client.post(URL + f"{members.member.public_id}/role/", {"role": "boss"}, follow=True)

    assert "Choose one of the listed roles." in text_of(response)
    assert members.member.role == Role.MEMBER


def test_it_shows_why_an_action_was_refused(client, admin, members, people):
    response = client.post(URL + f"{members.owner.public_id}/remove/", follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "Only an owner can remove another owner." in text_of(response)
    assert Membership.objects.filter(user=people.owner).exists()


def test_it_removes_a_member(client, admin, members, people, org):
    response = client.post(URL + f"{members.member.public_id}/remove/", follow=True)

    assert f"{people.member.display_name} was removed from Northstar Talent." in text_of(response)
    assert not org.memberships.filter(user=people.member).exists()


def test_it_removes_a_member_over_htmx(client, admin, members, people, org):
    response = client.post(URL + f"{members.member.public_id}/remove/", headers=HTMX)

    assert _is_partial(response)
    assert people.member.email not in text_of(response)
    assert not org.memberships.filter(user=people.member).exists()


def test_it_transfers_ownership(client, people, members):
    client.force_login(people.owner)

    response = client.post(URL + f"{members.member.public_id}/make-owner/", follow=True)

    assert f"{people.member.display_name} now owns Northstar Talent; you are an admin." in text_of(response)
    assert members.member.role == Role.OWNER
    assert members.owner.role == Role.ADMIN


def test_it_lets_a_member_leave(client, people, org):
    client.force_login(people.member)

    response = client.post(URL + "leave/")

    assert response["Location"] == "/app/"
    assert not org.memberships.filter(user=people.member).exists()
    assert "You left Northstar Talent." in text_of(client.get("/orgs/new/"))


def test_it_keeps_the_last_owner_from_leaving(client, people, org):
    client.force_login(people.owner)

    response = client.post(URL + "leave/", follow=True)

    assert "You are the only owner." in text_of(response)
    assert org.memberships.filter(user=people.owner, role=Role.OWNER).exists()


# --- Invitations and requests -----------------------------------------------------------------


def test_it_withdraws_an_invitation(client, admin, org):
    invitation = InvitationFactory(org=org, email="kim@example.com")

    response = client.post(f"/o/northstar/settings/invitations/{invitation.public_id}/revoke/", follow=True)

    assert "Invitation for kim@example.com withdrawn." in text_of(response)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


def test_it_resends_an_invitation(client, admin, org, mailbox, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(org=org, email="kim@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/northstar/settings/invitations/{invitation.public_id}/resend/", headers=HTMX)

    assert _is_partial(response)
    assert "A fresh invitation was sent to kim@example.com." in text_of(response)
    assert Invitation.objects.filter(org=org, status=Invitation.Status.PENDING).exclude(pk=invitation.pk).exists()
    assert mailbox.only("kim@example.com")


def test_it_approves_a_join_request(client, admin, org, mailbox, django_capture_on_commit_callbacks):
    sam = UserFactory(email="sam@example.com", name="Sam Rivera")
    join_request = JoinRequestFactory(org=org, user=sam)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/northstar/settings/requests/{join_request.public_id}/approve/", {"role": "viewer"}, follow=True
        )

    assert "Sam Rivera joined as viewer." in text_of(response)
    assert org.memberships.get(user=sam).role == Role.VIEWER
    assert mailbox.only("sam@example.com")


def test_it_tells_a_second_approver_who_got_there_first(client, admin, people, org):
    join_request = JoinRequestFactory(org=org, user=UserFactory())
    url = f"/o/northstar/settings/requests/{join_request.public_id}/approve/"
    client.post(url, {"role": "member"})
    client.force_login(people.owner)

    response = client.post(url, {"role": "member"}, follow=True)

    assert f"This request was already approved by {people.admin.display_name}." in text_of(response)
    assert org.memberships.filter(user=join_request.user).count() == 1


def test_it_declines_a_join_request(client, admin, org):
    join_request = JoinRequestFactory(org=org, user=UserFactory(name="Sam Rivera"))

    response = client.post(f"/o/northstar/settings/requests/{join_request.public_id}/decline/", follow=True)

    assert "Request from Sam Rivera declined." in text_of(response)
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.DECLINED
    assert not org.memberships.filter(user=join_request.user).exists()


def test_it_lets_admins_of_a_full_org_approve_viewers_only(client, people, org):
    join_request = JoinRequestFactory(org=org, user=UserFactory())
    client.force_login(people.admin)
    url = f"/o/northstar/settings/requests/{join_request.public_id}/approve/"

    response = client.post(url, {"role": "member"}, follow=True)
    assert "all are taken" in text_of(response)
    assert not org.memberships.filter(user=join_request.user).exists()

    client.post(url, {"role": "viewer"})
    assert org.memberships.get(user=join_request.user).role == Role.VIEWER


def test_it_does_not_show_the_owner_role_to_admins(client, admin, members):
    body = client.get(URL).content.decode()

    assert f'id="role-{members.member.public_id}"' in body
    assert '<option value="owner"' not in body
    assert f'id="role-{members.owner.public_id}"' not in body


def test_it_lets_an_owner_demote_another_owner(client, people, org, members):
    second = MembershipFactory(org=org, role=Role.OWNER)
    client.force_login(people.owner)

    client.post(URL + f"{second.public_id}/role/", {"role": "admin"})

    second.refresh_from_db()
    assert second.role == Role.ADMIN


def test_it_shows_the_seat_limit_when_inviting_into_a_full_org(client, people):
    client.force_login(people.owner)

    response = client.post(URL + "invite/", {"email": "kim@example.com", "role": "member"})

    assert response.status_code == 400
    assert "The Studio plan includes 3 seats and all are taken" in text_of(response)
    assert not Invitation.objects.exists()
