from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from core.exceptions import DomainError
from orgs import services
from orgs.models import Invitation, JoinRequest, Membership, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.more_factories import InvitationFactory, JoinRequestFactory

# --- Creating ---------------------------------------------------------------------------------


def test_it_emails_an_invitation_whose_link_lets_the_invitee_join(
    members, agency_plan, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(actor=members.admin, email=" Kim@Example.com ", role=Role.MEMBER)

    assert invitation.email == "kim@example.com"
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.invited_by == members.admin.user
    mail = mailbox.only("kim@example.com")
    assert "invited you to Northstar Talent" in mail.subject
    path = mailbox.link(mail, "/invitations/")

    kim = UserFactory(email="kim@example.com")
    token = path.strip("/").split("/")[-1]
    membership = services.invitation_accept(token=token, user=kim)

    assert membership.org.slug == "northstar"
    assert membership.role == Role.MEMBER


def test_it_stores_only_a_hash_of_the_token(members, agency_plan, mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(actor=members.admin, email="kim@example.com", role=Role.MEMBER)

    token = mailbox.link(mailbox.only(), "/invitations/").strip("/").split("/")[-1]
    assert token not in invitation.token_hash
    assert services.invitation_for_token(token) == invitation


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_lets_only_owners_and_admins_invite(members, agency_plan, role):
    with pytest.raises(DomainError, match="Only owners and admins can manage members"):
        services.invitation_create(actor=getattr(members, role), email="kim@example.com", role=Role.VIEWER)

    assert not Invitation.objects.exists()


def test_it_lets_only_owners_invite_admins(members, agency_plan):
    with pytest.raises(DomainError, match="Only an owner can invite admins") as e:
        services.invitation_create(actor=members.admin, email="kim@example.com", role=Role.ADMIN)
    assert e.value.field == "role"
    assert not Invitation.objects.exists()

    invitation = services.invitation_create(actor=members.owner, email="kim@example.com", role=Role.ADMIN)
    assert invitation.role == Role.ADMIN


def test_it_does_not_invite_people_as_owners(members, agency_plan):
    with pytest.raises(DomainError, match="ownership is transferred later"):
        services.invitation_create(actor=members.owner, email="kim@example.com", role=Role.OWNER)

    assert not Invitation.objects.exists()


def test_it_does_not_invite_someone_who_is_already_a_member(members, people, agency_plan, mailbox):
    with pytest.raises(DomainError, match="is already a member of Northstar Talent") as e:
        services.invitation_create(actor=members.admin, email=people.viewer.email.upper(), role=Role.MEMBER)

    assert e.value.field == "email"
    assert not Invitation.objects.exists()
    assert mailbox.all() == []


def test_it_revokes_the_pending_invitation_when_inviting_the_same_address_again(
    members, agency_plan, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.invitation_create(actor=members.admin, email="kim@example.com", role=Role.MEMBER)
        second = services.invitation_create(actor=members.admin, email="kim@example.com", role=Role.VIEWER)

    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert second.status == Invitation.Status.PENDING
    assert Invitation.objects.filter(status=Invitation.Status.PENDING).count() == 1

    old_link, new_link = (mailbox.link(m, "/invitations/") for m in mailbox.to("kim@example.com"))
    kim = UserFactory(email="kim@example.com")
    with pytest.raises(DomainError, match="withdrawn"):
        services.invitation_accept(token=old_link.strip("/").split("/")[-1], user=kim)
    assert services.invitation_accept(token=new_link.strip("/").split("/")[-1], user=kim).role == Role.VIEWER


# --- Seats ------------------------------------------------------------------------------------


@pytest.fixture
def studio_owner(db):
    """The only member of an org on the 3-seat Studio plan."""
    return MembershipFactory(org=OrganizationFactory(slug="small"), role=Role.OWNER)


def test_it_counts_pending_invitations_against_the_seats(studio_owner):
    services.invitation_create(actor=studio_owner, email="a@example.com", role=Role.MEMBER)
    services.invitation_create(actor=studio_owner, email="b@example.com", role=Role.ADMIN)

    with pytest.raises(DomainError, match="The Studio plan includes 3 seats and all are taken"):
        services.invitation_create(actor=studio_owner, email="c@example.com", role=Role.MEMBER)

    assert not Invitation.objects.filter(email="c@example.com").exists()


def test_it_lets_viewers_in_when_every_seat_is_taken(studio_owner):
    services.invitation_create(actor=studio_owner, email="a@example.com", role=Role.MEMBER)
    services.invitation_create(actor=studio_owner, email="b@example.com", role=Role.MEMBER)

    for n in range(3):
        services.invitation_create(actor=studio_owner, email=f"viewer{n}@example.com", role=Role.VIEWER)

    assert Invitation.objects.filter(role=Role.VIEWER, status=Invitation.Status.PENDING).count() == 3


def test_it_frees_the_seat_of_a_withdrawn_invitation(studio_owner):
    services.invitation_create(actor=studio_owner, email="a@example.com", role=Role.MEMBER)
    b = services.invitation_create(actor=studio_owner, email="b@example.com", role=Role.MEMBER)

    services.invitation_revoke(actor=studio_owner, invitation=b)

    assert services.invitation_create(actor=studio_owner, email="c@example.com", role=Role.MEMBER)


def test_it_can_re_invite_a_pending_address_when_every_seat_is_taken(studio_owner):
    services.invitation_create(actor=studio_owner, email="a@example.com", role=Role.MEMBER)
    services.invitation_create(actor=studio_owner, email="b@example.com", role=Role.MEMBER)

    again = services.invitation_create(actor=studio_owner, email="b@example.com", role=Role.MEMBER)

    assert again.status == Invitation.Status.PENDING


# --- Accepting --------------------------------------------------------------------------------


@pytest.fixture
def kim(db):
    return UserFactory(email="kim@example.com")


@pytest.fixture
def invitation(org, people, kim):
    return InvitationFactory(
        org=org, email="kim@example.com", role=Role.VIEWER, invited_by=people.admin, token="s3cret"
    )


def test_it_makes_the_invitee_a_member_with_the_invited_role(invitation, kim, org):
    membership = services.invitation_accept(token="s3cret", user=kim)

    assert membership.org == org
    assert membership.user == kim
    assert membership.role == Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by == kim
    assert invitation.accepted_at is not None
    assert User.objects.get(pk=kim.pk).last_org == org


def test_it_matches_the_invited_address_whatever_its_case(invitation, org):
    user = UserFactory(email="KIM@example.com")

    assert services.invitation_accept(token="s3cret", user=user).org == org


def test_it_settles_the_invitees_pending_join_request(invitation, kim, org):
    join_request = JoinRequestFactory(org=org, user=kim)

    services.invitation_accept(token="s3cret", user=kim)

    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED
    assert join_request.role == Role.VIEWER


def _assert_nothing_was_accepted(invitation, status=Invitation.Status.PENDING):
    invitation.refresh_from_db()
    assert invitation.status == status
    assert invitation.accepted_by is None
    assert not Membership.objects.filter(user__email__iexact=invitation.email).exists()


def test_it_refuses_a_wrong_token(invitation, kim):
    with pytest.raises(DomainError, match="This invitation link isn't valid"):
        services.invitation_accept(token="wrong", user=kim)

    _assert_nothing_was_accepted(invitation)


def test_it_refuses_an_invitation_past_its_expiry(invitation, kim, people):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()

    with pytest.raises(DomainError, match=f"This invitation has expired. Ask {people.admin.display_name} to send"):
        services.invitation_accept(token="s3cret", user=kim)

    _assert_nothing_was_accepted(invitation)


def test_it_refuses_a_revoked_invitation(invitation, kim):
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.REVOKED)

    with pytest.raises(DomainError, match="This invitation was withdrawn"):
        services.invitation_accept(token="s3cret", user=kim)

    _assert_nothing_was_accepted(invitation, Invitation.Status.REVOKED)


def test_it_refuses_an_invitation_that_was_already_accepted(invitation, kim):
    services.invitation_accept(token="s3cret", user=kim)

    with pytest.raises(DomainError, match="This invitation has already been accepted"):
        services.invitation_accept(token="s3cret", user=kim)

    assert Membership.objects.filter(user=kim).count() == 1


def test_it_refuses_an_invitation_sent_to_someone_else(invitation):
    lee = UserFactory(email="lee@example.com")

    with pytest.raises(
        DomainError, match=r"This invitation was sent to kim@example\.com, but you're signed in as lee@"
    ):
        services.invitation_accept(token="s3cret", user=lee)

    _assert_nothing_was_accepted(invitation)
    assert not Membership.objects.filter(user=lee).exists()


def test_it_refuses_an_invitation_for_someone_who_is_already_a_member(invitation, kim, org):
    MembershipFactory(org=org, user=kim, role=Role.MEMBER)

    with pytest.raises(DomainError, match="You're already a member of Northstar Talent"):
        services.invitation_accept(token="s3cret", user=kim)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert Membership.objects.get(user=kim).role == Role.MEMBER


# --- Resending and withdrawing ----------------------------------------------------------------


def test_it_resends_with_a_fresh_link_and_retires_the_old_one(
    invitation, members, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fresh = services.invitation_resend(actor=members.admin, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert fresh.status == Invitation.Status.PENDING
    assert fresh.role == Role.VIEWER
    assert mailbox.link(mailbox.only("kim@example.com"), "/invitations/")


def test_it_resends_an_expired_invitation(invitation, members):
    Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.EXPIRED)
    invitation.refresh_from_db()

    fresh = services.invitation_resend(actor=members.admin, invitation=invitation)

    assert fresh.expires_at > timezone.now()


def test_it_does_not_resend_an_accepted_invitation(invitation, kim, members):
    services.invitation_accept(token="s3cret", user=kim)
    invitation.refresh_from_db()

    with pytest.raises(DomainError, match="already used or revoked"):
        services.invitation_resend(actor=members.admin, invitation=invitation)

    assert Invitation.objects.count() == 1


def test_it_withdraws_a_pending_invitation_once(invitation, members):
    services.invitation_revoke(actor=members.admin, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    with pytest.raises(DomainError, match="no longer pending"):
        services.invitation_revoke(actor=members.admin, invitation=invitation)


def test_it_lets_only_owners_and_admins_withdraw(invitation, members):
    with pytest.raises(DomainError, match="Only owners and admins"):
        services.invitation_revoke(actor=members.member, invitation=invitation)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
