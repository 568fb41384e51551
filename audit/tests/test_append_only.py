"""The audit log is append-only: the ORM refuses changes, the database refuses them too, and
only the retention purge removes entries, once they are old enough."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from audit import actions
from audit.models import AppendOnlyError, AuditEntry
from audit.receivers import safety_refused
from audit.services import audit_purge, record

pytestmark = pytest.mark.django_db


def _entry(org, **fields):
    return record(action=actions.MEMBER_ROLE_CHANGED, summary="Maya made Leo an admin", org=org, **fields)


def test_it_refuses_to_change_or_delete_an_entry_through_the_orm(org):
    entry = _entry(org)
    entry.summary = "Nothing happened"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="Nothing happened")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Maya made Leo an admin"


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_auditentry SET summary = 'rewritten' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"],
)
def test_the_database_refuses_raw_updates_and_deletes(org, sql):
    entry = _entry(org)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Maya made Leo an admin"


def test_the_purge_removes_only_entries_past_retention_and_can_run_again(org, settings):
    settings.AUDIT_LOG_RETENTION_DAYS = 365
    with time_machine.travel(datetime(2026, 1, 10, 12, tzinfo=UTC), tick=False):
        old = _entry(org)
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        recent = _entry(org)
    with time_machine.travel(datetime(2027, 1, 11, 12, tzinfo=UTC), tick=False):
        assert audit_purge() == 1
        assert audit_purge() == 0
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    # The purge's permission ended with its transaction.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk])


def test_entries_outlive_the_organisation_and_the_person(org, people):
    entry = _entry(org, actor=people.admin)
    org_id = org.pk
    people.admin.delete()
    org.delete()
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.org_id, kept.org_name, kept.actor_email) == (org_id, "Northstar Talent", people.admin.email)


def test_a_task_records_the_system_and_no_address(org):
    entry = record(action=actions.ORG_DELETED, summary="Deleted", org=org, system=True)
    assert (entry.actor_kind, entry.actor_id, entry.ip, entry.user_agent) == ("system", None, None, "")
    assert entry.actor_label == "Personae (automatic)"


def test_the_safety_receiver_records_a_refusal_with_its_details(org, people):
    entry = safety_refused(
        sender=object(),
        signal=object(),
        org=org,
        user=people.member,
        channel="studio prompt",
        reason="a minor",
        text="x" * 900,
        score=0.97,
    )
    assert entry.action == actions.SAFETY_REFUSED
    assert entry.actor_email == people.member.email
    assert entry.summary == "A text was refused by the safety screen (studio prompt): a minor"
    assert entry.data["score"] == 0.97
    assert len(entry.data["text"]) == 500


def test_an_entry_keeps_uuids_and_dates_as_text(org, people):
    when = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=3)
    entry = _entry(org, target=people.admin, data={"due_at": when, "org": org.public_id})
    entry.refresh_from_db()
    assert entry.data == {"due_at": "2026-03-01T03:00:00Z", "org": str(org.public_id)}
    assert (entry.target_type, entry.target_id) == ("user", str(people.admin.pk))


def test_staff_read_every_entry_in_the_admin_and_change_nothing(client, org, people):
    from tests.more_factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    entry = _entry(org, actor=people.owner)
    record(action=actions.MEMBER_REMOVED, summary="Rival removed someone", org=people.other_org)
    listing = client.get("/admin/audit/auditentry/").content.decode()
    assert "Maya made Leo an admin" in listing
    assert "Rival removed someone" in listing
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"summary": "x"}).status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).summary == "Maya made Leo an admin"
