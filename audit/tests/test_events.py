"""Each recorded action lands in the organisation's audit log, with who, what and from where."""

import re

import pytest

from audit import actions
from audit.models import AuditEntry
from billing.models import Hold
from billing.services import credits_grant, hold_reserve
from characters.deletion import character_delete
from characters.services import character_nsfw_set, consent_record
from characters.tests.factories import CharacterFactory
from orgs import services
from orgs.models import Role
from tests.factories import UserFactory
from tests.more_factories import InvitationFactory, JoinRequestFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

BROWSER = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "Firefox/140"}


def _only(action: str) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(action=action))
    assert len(entries) == 1, entries
    return entries[0]


def test_a_role_change_in_the_browser_records_who_what_and_from_where(client, org, people, members):
    client.force_login(people.owner)
    response = client.post(
        f"/o/northstar/settings/members/{members.member.public_id}/role/", {"role": "admin"}, **BROWSER
    )
    assert response.status_code == 302
    entry = _only(actions.MEMBER_ROLE_CHANGED)
    assert (entry.org_id, entry.actor_id, entry.actor_kind) == (org.pk, people.owner.pk, "user")
    assert (entry.ip, entry.user_agent) == ("203.0.113.7", "Firefox/140")
    assert entry.data == {"email": people.member.email, "from": "member", "to": "admin"}
    assert people.member.email in entry.summary
    assert "to admin" in entry.summary


def test_a_refused_change_records_nothing(org, members):
    with pytest.raises(Exception, match="at least one owner"):
        services.membership_change_role(actor=members.owner, membership=members.owner, role=Role.ADMIN)
    assert not AuditEntry.objects.exists()


def test_removals_leaving_and_ownership_transfers_are_recorded(org, people, members):
    services.membership_remove(actor=members.owner, membership=members.viewer)
    services.membership_leave(membership=members.member)
    services.ownership_transfer(actor=members.owner, membership=members.admin)
    assert _only(actions.MEMBER_REMOVED).data["email"] == people.viewer.email
    assert _only(actions.MEMBER_LEFT).actor_id == people.member.pk
    assert _only(actions.OWNERSHIP_TRANSFERRED).data["email"] == people.admin.email


def test_invitations_are_recorded_when_sent_withdrawn_and_accepted(org, people, members, agency_plan):
    invitation = services.invitation_create(actor=members.admin, email="kim@example.com", role=Role.MEMBER)
    services.invitation_revoke(actor=members.admin, invitation=invitation)
    services.invitation_create(actor=members.owner, email="lee@example.com", role=Role.VIEWER)
    InvitationFactory(org=org, email="ola@example.com", role=Role.VIEWER, token="a-known-token")
    services.invitation_accept(token="a-known-token", user=UserFactory(email="ola@example.com"))

    assert AuditEntry.objects.filter(action=actions.INVITATION_SENT).count() == 2
    assert _only(actions.INVITATION_REVOKED).data["email"] == "kim@example.com"
    accepted = _only(actions.INVITATION_ACCEPTED)
    assert (accepted.actor_email, accepted.data["role"]) == ("ola@example.com", "viewer")


def test_join_requests_are_recorded_when_approved_or_declined(org, members, agency_plan):
    approved = JoinRequestFactory(org=org, user=UserFactory(email="sam@example.com"))
    declined = JoinRequestFactory(org=org, user=UserFactory(email="ola@example.com"))
    services.join_request_approve(actor=members.admin, join_request=approved, role=Role.MEMBER)
    services.join_request_decline(actor=members.admin, join_request=declined)
    assert _only(actions.JOIN_REQUEST_APPROVED).data == {"email": "sam@example.com", "role": "member"}
    assert _only(actions.JOIN_REQUEST_DECLINED).data == {"email": "ola@example.com"}


def test_adult_content_switches_and_consent_are_recorded(org, people):
    services.org_adult_content_set(org=org, user=people.owner, enabled=True, confirmed_adult=True)
    character = CharacterFactory(org=org, name="Ava")
    consent = consent_record(
        character=character, user=people.member, ip="198.51.100.4", user_agent="Safari", covers_adult_content=True
    )
    character_nsfw_set(character=character, user=people.member, allowed=True)
    character_nsfw_set(character=character, user=people.member, allowed=True)  # no change: no entry
    services.org_adult_content_set(org=org, user=people.owner, enabled=False)

    org_switches = AuditEntry.objects.filter(action=actions.ADULT_CONTENT_ORG_CHANGED).order_by("id")
    assert [e.data["enabled"] for e in org_switches] == [True, False]
    recorded = _only(actions.CONSENT_RECORDED)
    assert recorded.data["consent"] == str(consent.public_id)
    assert (recorded.data["ip"], recorded.data["covers_adult_content"]) == ("198.51.100.4", True)
    assert _only(actions.ADULT_CONTENT_CHARACTER_CHANGED).data == {"character": "Ava", "allowed": True}


def test_deleting_a_character_is_recorded(org, people):
    character = CharacterFactory(org=org, name="Noor")
    character_delete(character=character, user=people.admin)
    entry = _only(actions.CHARACTER_DELETED)
    assert (entry.data["character"], entry.actor_id) == ("Noor", people.admin.pk)


def test_the_retention_setting_is_recorded(org, members):
    services.org_dataset_retention_set(org=org, actor=members.admin, days=90)
    services.org_dataset_retention_set(org=org, actor=members.admin, days=90)
    assert _only(actions.DATASET_RETENTION_CHANGED).data == {"from": 30, "to": 90}


def test_a_staff_credit_adjustment_is_recorded_once_as_support(client, org):
    staff = StaffUserFactory(email="support@personae.local")
    client.force_login(staff)
    credits_grant(org=org, amount=100, key="grant:1", description="Plan credits")
    account = org.credit_account
    url = f"/admin/billing/creditaccount/{account.pk}/adjust/"
    key = re.search(r'name="key" value="([^"]+)"', client.get(url).content.decode()).group(1)
    form = {"amount": "25", "reason": "Goodwill after the outage", "key": key}
    client.post(url, form, **BROWSER)
    client.post(url, form, **BROWSER)  # sent twice: one adjustment, one entry

    entry = _only(actions.CREDITS_ADJUSTED)
    assert (entry.actor_kind, entry.actor_email, entry.ip) == ("staff", "support@personae.local", "203.0.113.7")
    assert entry.data["amount"] == 25
    assert "Goodwill after the outage" in entry.summary
    assert entry.actor_label == "Personae support (support@personae.local)"


def test_releasing_a_hold_in_the_admin_is_recorded_as_support(client, org):
    staff = StaffUserFactory(email="support@personae.local")
    client.force_login(staff)
    credits_grant(org=org, amount=100, key="grant:1", description="Plan credits")
    hold = hold_reserve(org=org, amount=30, key="job:1", operation="upscale", description="Upscale 2×")
    client.post("/admin/billing/hold/", {"action": "release_selected", "_selected_action": [hold.pk]})
    assert Hold.objects.get(pk=hold.pk).status == Hold.Status.RELEASED
    entry = _only(actions.HOLD_RELEASED_BY_STAFF)
    assert (entry.actor_kind, entry.data["amount"]) == ("staff", 30)
