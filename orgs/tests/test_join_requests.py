import uuid

import pytest

from core.exceptions import DomainError
from orgs import services
from orgs.models import JoinRequest, Membership, Role
from tests.factories import UserFactory
from tests.more_factories import JoinRequestFactory


@pytest.fixture
def sam(db):
    return UserFactory(email="sam@example.com", name="Sam Rivera")


# --- Asking -----------------------------------------------------------------------------------


def test_it_records_the_request_and_emails_the_owners_and_admins(
    org, people, sam, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        join_request = services.join_request_create(user=sam, org_id=f"  {org.public_id}  ", message="  Hi there  ")

    assert join_request.org == org
    assert join_request.status == JoinRequest.Status.PENDING
    assert join_request.message == "Hi there"
    mail = mailbox.only()
    assert sorted(a.strip() for a in mail.to.split(",")) == sorted([people.owner.email, people.admin.email])
    assert mail.subject == "sam@example.com asked to join Northstar Talent"
    assert mailbox.link(mail, "/o/northstar/settings/members/")


def test_it_gives_the_same_answer_for_a_missing_org_and_one_closed_to_requests(org, sam):
    org.allow_join_requests = False
    org.save()

    with pytest.raises(DomainError) as closed:
        services.join_request_create(user=sam, org_id=str(org.public_id))
    with pytest.raises(DomainError) as missing:
        services.join_request_create(user=sam, org_id=str(uuid.uuid4()))

    assert closed.value.message == missing.value.message == services.ORG_ID_NOT_FOUND
    assert closed.value.field == missing.value.field == "org_id"
    assert not JoinRequest.objects.exists()


@pytest.mark.parametrize("text", ["northstar", "3f2b8c1e-5d4a", ""])
def test_it_explains_what_an_org_id_looks_like_when_the_text_is_not_one(sam, text):
    with pytest.raises(DomainError, match="An organisation ID looks like") as e:
        services.join_request_create(user=sam, org_id=text)

    assert e.value.field == "org_id"
    assert not JoinRequest.objects.exists()


def test_it_tells_members_they_are_already_in(org, people):
    with pytest.raises(DomainError, match="You're already a member of Northstar Talent"):
        services.join_request_create(user=people.viewer, org_id=str(org.public_id))

    assert not JoinRequest.objects.exists()


def test_it_does_not_take_a_second_pending_request(org, sam):
    services.join_request_create(user=sam, org_id=str(org.public_id))

    with pytest.raises(DomainError, match="You've already asked to join Northstar Talent"):
        services.join_request_create(user=sam, org_id=str(org.public_id))

    assert JoinRequest.objects.count() == 1


def test_it_lets_the_requester_withdraw(org, sam):
    join_request = JoinRequestFactory(org=org, user=sam)

    services.join_request_cancel(user=sam, join_request=join_request)

    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.CANCELLED


def test_it_does_not_let_someone_else_withdraw_a_request(org, sam, people):
    join_request = JoinRequestFactory(org=org, user=sam)

    services.join_request_cancel(user=people.outsider, join_request=join_request)

    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.PENDING


# --- Deciding ---------------------------------------------------------------------------------


@pytest.fixture
def join_request(org, sam, agency_plan):
    return JoinRequestFactory(org=org, user=sam)


def test_it_approves_a_request_into_a_membership_and_tells_the_requester(
    join_request, members, sam, org, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.join_request_approve(actor=members.admin, join_request=join_request, role=Role.VIEWER)

    assert membership.user == sam
    assert membership.org == org
    assert membership.role == Role.VIEWER
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED
    assert join_request.decided_by == members.admin.user
    assert join_request.role == Role.VIEWER
    mail = mailbox.only("sam@example.com")
    assert "welcome to Northstar Talent" in mail.subject
    assert "You're a viewer" in mail.text
    assert mailbox.link(mail, "/o/northstar/")


def test_it_refuses_to_approve_twice_and_names_who_decided(
    join_request, members, people, sam, mailbox, django_capture_on_commit_callbacks
):
    services.join_request_approve(actor=members.admin, join_request=join_request)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DomainError, match=f"This request was already approved by {people.admin.display_name}"),
    ):
        services.join_request_approve(actor=members.owner, join_request=join_request, role=Role.ADMIN)

    assert Membership.objects.get(user=sam).role == Role.MEMBER
    assert Membership.objects.filter(user=sam).count() == 1
    assert mailbox.all() == []


def test_it_declines_a_request_without_adding_anyone(join_request, members, sam):
    services.join_request_decline(actor=members.admin, join_request=join_request)

    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.DECLINED
    assert join_request.decided_by == members.admin.user
    assert not Membership.objects.filter(user=sam).exists()


def test_it_cannot_approve_a_declined_request(join_request, members, people, sam):
    services.join_request_decline(actor=members.owner, join_request=join_request)

    with pytest.raises(DomainError, match=f"already declined by {people.owner.display_name}"):
        services.join_request_approve(actor=members.admin, join_request=join_request)

    assert not Membership.objects.filter(user=sam).exists()


def test_it_cannot_decide_a_withdrawn_request(join_request, members, sam):
    services.join_request_cancel(user=sam, join_request=join_request)

    with pytest.raises(DomainError, match="This request is cancelled, so there is nothing to decide"):
        services.join_request_decline(actor=members.admin, join_request=join_request)


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_lets_only_owners_and_admins_decide(join_request, members, role):
    actor = getattr(members, role)
    with pytest.raises(DomainError, match="Only owners and admins"):
        services.join_request_approve(actor=actor, join_request=join_request)
    with pytest.raises(DomainError, match="Only owners and admins"):
        services.join_request_decline(actor=actor, join_request=join_request)

    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.PENDING


def test_it_lets_only_owners_approve_someone_as_admin(join_request, members, sam):
    with pytest.raises(DomainError, match="Only an owner can grant the admin role"):
        services.join_request_approve(actor=members.admin, join_request=join_request, role=Role.ADMIN)
    assert not Membership.objects.filter(user=sam).exists()

    assert (
        services.join_request_approve(actor=members.owner, join_request=join_request, role=Role.ADMIN).role
        == Role.ADMIN
    )


def test_it_never_approves_someone_straight_to_owner(join_request, members, sam):
    with pytest.raises(DomainError, match="Choose admin, member or viewer"):
        services.join_request_approve(actor=members.owner, join_request=join_request, role=Role.OWNER)

    assert not Membership.objects.filter(user=sam).exists()


def test_it_checks_the_seats_when_approving(org, members, sam):
    # Studio has 3 seats: the owner, the admin and the member fill them.
    join_request = JoinRequestFactory(org=org, user=sam)

    with pytest.raises(DomainError, match="all are taken"):
        services.join_request_approve(actor=members.admin, join_request=join_request, role=Role.MEMBER)
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.PENDING
    assert not Membership.objects.filter(user=sam).exists()

    assert (
        services.join_request_approve(actor=members.admin, join_request=join_request, role=Role.VIEWER).role
        == Role.VIEWER
    )
