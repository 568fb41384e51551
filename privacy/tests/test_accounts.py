"""A person deletes their account: refused while an organisation would be left without an owner,
with the way out; otherwise their profile and memberships go and what they made stays."""

import pytest

from accounts.models import User
from assets.models import Asset
from assets.tests.factories import AssetFactory
from audit import actions
from audit.models import AuditEntry
from core.tests.pages import text_of
from orgs.models import Membership
from privacy import deletion
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/account/delete/"
PASSWORD = "correct-horse-battery-staple"


def test_a_sole_owner_with_a_team_must_hand_over_first(login, org, people):
    client = login("owner")
    page = text_of(client.get(URL))
    assert "You are the only owner of Northstar Talent" in page
    assert "Make another member an owner" in page
    response = client.post(URL, {"password": PASSWORD, "understood": "on"})
    assert response.status_code == 400
    assert "only owner of Northstar Talent" in text_of(response)
    assert User.objects.filter(pk=people.owner.pk).exists()


def test_a_sole_member_must_delete_the_organisation_first(client):
    alone = MembershipFactory(org=OrganizationFactory(name="Solo Studio"), role="owner").user
    client.force_login(alone)
    assert "You are the only member of Solo Studio" in text_of(client.get(URL))
    with pytest.raises(deletion.DomainError, match="Delete the organisation"):
        deletion.account_delete(user=alone, password=PASSWORD)


def test_an_organisation_already_being_deleted_doesnt_block(client, members):
    owner = members.owner
    deletion.org_deletion_schedule(actor=owner, confirm_name="Northstar Talent")
    assert deletion.account_deletion_problems(owner.user) == []


def test_after_a_transfer_the_former_owner_can_go(client, org, people, members):
    from orgs.services import ownership_transfer

    ownership_transfer(actor=members.owner, membership=members.admin)
    made = AssetFactory(org=org, created_by=people.owner)
    client.force_login(people.owner)
    assert client.post(URL, {"password": "wrong", "understood": "on"}).status_code == 400
    response = client.post(URL, {"password": PASSWORD, "understood": "on"})

    assert "Your account is deleted" in text_of(response)
    assert not User.objects.filter(pk=people.owner.pk).exists()
    assert not Membership.objects.filter(user_id=people.owner.pk).exists()
    assert Asset.objects.get(pk=made.pk).created_by is None  # the org keeps what they made
    entry = AuditEntry.objects.get(action=actions.ACCOUNT_DELETED)
    assert (entry.org_id, entry.actor_email) == (org.pk, people.owner.email)
    assert client.get("/account/").status_code == 302  # signed out


def test_the_box_and_password_are_required(login):
    response = login("member").post(URL, {})
    assert response.status_code == 400
    assert "Enter your password" in text_of(response)
    assert "Tick the box" in text_of(response)
