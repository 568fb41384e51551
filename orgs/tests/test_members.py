import pytest

from accounts.models import User
from core.exceptions import DomainError
from orgs import services
from orgs.models import Membership, Role
from tests.factories import MembershipFactory


def roles(org):
    return {m.user.email: m.role for m in org.memberships.select_related("user")}


# --- Changing roles ---------------------------------------------------------------------------


def test_it_lets_an_admin_change_a_members_role(members, org):
    services.membership_change_role(actor=members.admin, membership=members.member, role=Role.VIEWER)

    assert members.member.role == Role.VIEWER


def test_it_lets_only_owners_grant_the_owner_role(members, org):
    before = roles(org)
    with pytest.raises(DomainError, match="Only an owner can grant or take away the owner role"):
        services.membership_change_role(actor=members.admin, membership=members.member, role=Role.OWNER)
    assert roles(org) == before

    services.membership_change_role(actor=members.owner, membership=members.member, role=Role.OWNER)
    assert members.member.role == Role.OWNER


def test_it_lets_only_owners_take_the_owner_role_away(members, org, people):
    second_owner = MembershipFactory(org=org, role=Role.OWNER)

    with pytest.raises(DomainError, match="Only an owner can grant or take away the owner role"):
        services.membership_change_role(actor=members.admin, membership=second_owner, role=Role.MEMBER)
    second_owner.refresh_from_db()
    assert second_owner.role == Role.OWNER

    services.membership_change_role(actor=members.owner, membership=second_owner, role=Role.ADMIN)
    second_owner.refresh_from_db()
    assert second_owner.role == Role.ADMIN


def test_it_never_demotes_the_last_owner(members, org):
    with pytest.raises(DomainError, match="needs at least one owner"):
        services.membership_change_role(actor=members.owner, membership=members.owner, role=Role.ADMIN)

    assert members.owner.role == Role.OWNER


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_does_not_let_members_or_viewers_change_roles(members, org, role):
    before = roles(org)

    with pytest.raises(DomainError, match="Only owners and admins"):
        services.membership_change_role(actor=getattr(members, role), membership=members.viewer, role=Role.MEMBER)

    assert roles(org) == before


def test_it_rejects_a_role_that_does_not_exist(members, org):
    with pytest.raises(DomainError, match="Choose one of the listed roles"):
        services.membership_change_role(actor=members.owner, membership=members.member, role="superuser")


def test_it_needs_a_free_seat_to_promote_a_viewer(members, org):
    # Studio has 3 seats: the owner, the admin and the member fill them.
    with pytest.raises(DomainError, match="all are taken"):
        services.membership_change_role(actor=members.owner, membership=members.viewer, role=Role.MEMBER)
    assert members.viewer.role == Role.VIEWER

    services.membership_change_role(actor=members.owner, membership=members.member, role=Role.VIEWER)
    services.membership_change_role(actor=members.owner, membership=members.viewer, role=Role.MEMBER)
    assert members.viewer.role == Role.MEMBER


# --- Removing and leaving ---------------------------------------------------------------------


def test_it_removes_a_member_and_forgets_the_org_as_their_current_one(members, org, people):
    User.objects.filter(pk=people.member.pk).update(last_org=org)

    services.membership_remove(actor=members.admin, membership=members.member)

    assert not Membership.objects.filter(org=org, user=people.member).exists()
    assert User.objects.get(pk=people.member.pk).last_org is None


def test_it_does_not_let_people_remove_themselves(members, org, people):
    with pytest.raises(DomainError, match="use “Leave organisation”"):
        services.membership_remove(actor=members.admin, membership=members.admin)

    assert Membership.objects.filter(org=org, user=people.admin).exists()


def test_it_does_not_let_admins_remove_owners(members, org, people):
    MembershipFactory(org=org, role=Role.OWNER)

    with pytest.raises(DomainError, match="Only an owner can remove another owner"):
        services.membership_remove(actor=members.admin, membership=members.owner)

    assert Membership.objects.filter(org=org, user=people.owner).exists()


def test_it_lets_an_owner_remove_another_owner(members, org):
    other = MembershipFactory(org=org, role=Role.OWNER)

    services.membership_remove(actor=members.owner, membership=other)

    assert not Membership.objects.filter(pk=other.pk).exists()


def test_it_never_removes_the_last_owner(org):
    # Owners can't remove themselves and admins can't remove owners, so only an actor whose own
    # row is already gone (a second tab, a race) can get this far; the guard must still hold.
    owner = MembershipFactory(org=org, role=Role.OWNER)
    stale_actor = Membership(pk=-1, org=org, user=owner.user, role=Role.OWNER)

    with pytest.raises(DomainError, match="needs at least one owner"):
        services.membership_remove(actor=stale_actor, membership=owner)

    assert Membership.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_does_not_let_members_or_viewers_remove_anyone(members, org, people, role):
    with pytest.raises(DomainError, match="Only owners and admins"):
        services.membership_remove(actor=getattr(members, role), membership=members.admin)

    assert org.memberships.count() == 4


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_it_lets_anyone_but_the_last_owner_leave(members, org, people, role):
    user = getattr(people, role)
    User.objects.filter(pk=user.pk).update(last_org=org)

    services.membership_leave(membership=getattr(members, role))

    assert not Membership.objects.filter(org=org, user=user).exists()
    assert User.objects.get(pk=user.pk).last_org is None


def test_it_does_not_let_the_last_owner_leave(members, org, people):
    with pytest.raises(DomainError, match=r"You are the only owner\. Transfer ownership"):
        services.membership_leave(membership=members.owner)

    assert Membership.objects.filter(org=org, user=people.owner).exists()


def test_it_lets_an_owner_leave_when_another_owner_stays(members, org, people):
    MembershipFactory(org=org, role=Role.OWNER)

    services.membership_leave(membership=members.owner)

    assert not Membership.objects.filter(org=org, user=people.owner).exists()


# --- Transferring ownership -------------------------------------------------------------------


def test_it_transfers_ownership_and_keeps_the_old_owner_as_admin(members, org):
    services.ownership_transfer(actor=members.owner, membership=members.member)

    assert members.member.role == Role.OWNER
    assert members.owner.role == Role.ADMIN
    assert org.memberships.filter(role=Role.OWNER).count() == 1


def test_it_lets_only_an_owner_transfer_ownership(members, org):
    before = roles(org)

    with pytest.raises(DomainError, match="Only an owner can transfer ownership"):
        services.ownership_transfer(actor=members.admin, membership=members.member)

    assert roles(org) == before


def test_it_does_not_transfer_ownership_to_yourself(members, org):
    with pytest.raises(DomainError, match="You already own this organisation"):
        services.ownership_transfer(actor=members.owner, membership=members.owner)

    assert members.owner.role == Role.OWNER


def test_it_does_not_transfer_ownership_to_someone_in_another_org(members, org, people):
    stranger = people.other_org.memberships.get()

    with pytest.raises(DomainError, match="isn't a member of this organisation"):
        services.ownership_transfer(actor=members.owner, membership=stranger)

    assert members.owner.role == Role.OWNER


def test_it_needs_a_free_seat_to_hand_ownership_to_a_viewer(members, org):
    # Studio has 3 seats: the owner, the admin and the member fill them. The old owner keeps a
    # seat as admin, so a viewer taking over would make four.
    with pytest.raises(DomainError, match="all are taken"):
        services.ownership_transfer(actor=members.owner, membership=members.viewer)

    assert (members.owner.role, members.viewer.role) == (Role.OWNER, Role.VIEWER)
