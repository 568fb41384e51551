"""An owner deletes the organisation: typed confirmation, a read-only grace period with undo, then
beat deletes everything (files, rows, the paid plan); what is kept is the audit log."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from assets.models import Asset
from assets.tests.factories import AssetFactory, stored_files
from audit import actions
from audit.models import AuditEntry
from billing.models import BillingSubscription, LedgerEntry
from billing.services import credits_grant
from billing.tests.test_stripe_flow import deliver, subscribe
from characters.models import Character
from characters.tests.factories import CharacterFactory, DatasetImageFactory
from core.exceptions import DomainError
from core.tests.pages import text_of
from generation import services as generation_services
from generation.tests.factories import GenerationJobFactory
from orgs.models import Organization
from privacy import deletion
from stripe_local.engine import get

pytestmark = pytest.mark.django_db

PAGE = "/o/northstar/settings/privacy/"
DELETE = "/o/northstar/settings/privacy/delete/"
UNDO = "/o/northstar/settings/privacy/delete/undo/"


def _schedule(client, name="Northstar Talent"):
    return client.post(DELETE, {"confirm_name": name})


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_an_owner_can_delete(login, org, role, status):
    assert _schedule(login(role)).status_code == status
    org.refresh_from_db()
    assert org.deletion_due_at is None


def test_the_name_must_be_typed_exactly(login, org):
    response = _schedule(login("owner"), name="northstar")
    assert response.status_code == 400
    assert "Type the organisation's name, Northstar Talent, exactly" in text_of(response)
    org.refresh_from_db()
    assert org.deletion_due_at is None


def test_scheduling_locks_the_org_tells_the_owners_and_shows_the_date(
    login, org, people, mailbox, django_capture_on_commit_callbacks
):
    client = login("owner")
    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule(client)
    assert response.status_code == 302
    org.refresh_from_db()
    assert timedelta(days=6, hours=23) < org.deletion_due_at - timezone.now() <= timedelta(days=7)
    assert "will be deleted on" in mailbox.only(people.owner.email).subject

    page = text_of(client.get("/o/northstar/"))
    assert f"will be deleted on {org.deletion_due_at:%-d %B %Y}" in page
    assert "Undo the deletion" in page
    # Read-only: writes anywhere are refused with the reason, for every role.
    refused = login("admin").post("/o/northstar/settings/", {"name": "Renamed", "email": org.email})
    assert refused.status_code == 403
    assert "scheduled for deletion" in text_of(refused)
    assert "An owner can undo it" in text_of(login("member").get("/o/northstar/"))
    # What changes nothing of the organisation still works: reading notifications, leaving.
    assert login("member").post("/o/northstar/notifications/read/").status_code == 302


def test_scheduling_twice_is_one_request(login, org, people, mailbox, django_capture_on_commit_callbacks):
    client = login("owner")
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(client)
    org.refresh_from_db()
    due = org.deletion_due_at
    with time_machine.travel(timezone.now() + timedelta(hours=2)), django_capture_on_commit_callbacks(execute=True):
        deletion.org_deletion_schedule(actor=org.memberships.get(user=people.owner), confirm_name="Northstar Talent")
    org.refresh_from_db()
    assert org.deletion_due_at == due
    assert len(mailbox.to(people.owner.email)) == 1
    assert AuditEntry.objects.filter(action=actions.ORG_DELETION_SCHEDULED).count() == 1


def test_a_running_pack_must_finish_or_be_cancelled_first(login, org):
    pack = GenerationJobFactory(character=CharacterFactory(org=org), status="running")
    page = text_of(login("owner").post(DELETE, {"confirm_name": "Northstar Talent"}, follow=True))
    assert "still running" in page
    assert "Jobs page" in page
    org.refresh_from_db()
    assert org.deletion_due_at is None
    pack.status = "cancelled"
    pack.save(update_fields=["status"])
    assert _schedule(login("owner")).status_code == 302


def test_no_job_can_start_once_deletion_is_scheduled(login, org, people, fund):
    fund(100)
    asset = AssetFactory(org=org)
    _schedule(login("owner"))
    with pytest.raises(DomainError, match="scheduled for deletion"):
        generation_services.upscale_start(org=org, user=people.member, asset=asset, factor=2, key="")


def test_an_owner_undoes_it_within_the_grace_period(login, org):
    _schedule(login("owner"))
    assert login("admin").post(UNDO).status_code == 403
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        response = login("owner").post(UNDO, follow=True)
    assert "The deletion is undone" in text_of(response)
    org.refresh_from_db()
    assert org.deletion_due_at is None
    assert login("admin").post("/o/northstar/settings/", {"name": "Renamed", "email": org.email}).status_code == 302
    assert AuditEntry.objects.filter(action=actions.ORG_DELETION_CANCELLED).count() == 1


def test_undo_after_the_grace_period_says_plainly_it_is_gone(login, org, people):
    _schedule(login("owner"))
    later = timezone.now() + timedelta(days=7, minutes=5)
    with time_machine.travel(later):
        refused = text_of(login("owner").post(UNDO, follow=True))
        assert "The grace period ended" in refused
        assert "can't be restored" in refused
        assert deletion.org_deletions_due() == 1
        gone = login("owner").post(UNDO)
    assert gone.status_code == 410
    assert "Northstar Talent has been deleted" in text_of(gone)
    assert login("outsider").post(UNDO).status_code == 404  # never a member: nothing to say


def test_beat_deletes_files_rows_and_the_paid_plan_after_the_grace_period(
    client, org, people, settings, media_root, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    call_command("sync_plans", stdout=io.StringIO())
    client.force_login(people.owner)
    client.org = org
    subscribe(client)
    deliver()
    subscription = BillingSubscription.objects.get(org=org)
    assert subscription.status == "active"
    credits_grant(org=org, amount=50, key="grant:x", description="Bonus")
    character = CharacterFactory(org=org, lora_key=f"orgs/{org.public_id}/loras/x.safetensors")
    DatasetImageFactory(character=character)
    AssetFactory(org=org)
    kept = AssetFactory(org=people.other_org)
    assert any(str(org.public_id) in f for f in stored_files(media_root))
    _schedule(client)

    assert deletion.org_deletions_due() == 0  # not yet due
    with (
        time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert deletion.org_deletions_due() == 1
        assert deletion.org_deletions_due() == 0  # idempotent

    assert not Organization.objects.filter(pk=org.pk).exists()
    assert not Character.objects.filter(org_id=org.pk).exists()
    assert not Asset.objects.filter(org_id=org.pk).exists()
    assert not LedgerEntry.objects.filter(org_id=org.pk).exists()
    assert Asset.objects.filter(pk=kept.pk).exists()
    assert not any(str(org.public_id) in f for f in stored_files(media_root))
    assert not Path(media_root, "orgs", str(org.public_id)).exists()
    assert get(subscription.stripe_subscription_id, "subscription")["status"] == "canceled"
    deliver()  # Stripe's "subscription deleted" finds no organisation and changes nothing
    entry = AuditEntry.objects.get(action=actions.ORG_DELETED)
    assert entry.org_name == "Northstar Talent"
    assert entry.data["requested_by"] == people.owner.email


def test_a_stripe_failure_keeps_the_org_for_the_next_run(org, members, monkeypatch):
    deletion.org_deletion_schedule(actor=members.owner, confirm_name="Northstar Talent")

    def down(org):
        raise ConnectionError("Stripe is down")

    monkeypatch.setattr(deletion, "subscription_cancel_now", down)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert deletion.org_deletions_due() == 0
    assert Organization.objects.filter(pk=org.pk).exists()
