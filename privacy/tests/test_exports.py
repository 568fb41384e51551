"""An owner exports everything: the request, the zip a worker builds (with progress on the page),
the emailed link that works for a week and only for an owner, and what is refused."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone

from assets import storage
from assets.tests.factories import AssetFactory
from audit import actions
from audit.models import AuditEntry
from billing.services import credits_grant
from characters.services import consent_record
from characters.tests.factories import CharacterFactory, DatasetImageFactory
from core.tests.pages import text_of
from generation.tests.factories import GenerationJobFactory
from privacy import exports
from privacy.models import DataExport

pytestmark = pytest.mark.django_db

PAGE = "/o/northstar/settings/privacy/"
REQUEST = "/o/northstar/settings/privacy/export/"


@pytest.fixture
def content(org, people):
    """A little of everything an export must hold."""
    credits_grant(org=org, amount=100, key="grant:1", description="Studio plan credits")
    character = CharacterFactory(org=org, name="Ava Reyes", created_by=people.member)
    DatasetImageFactory(character=character, asset__title="Close-up by the window")
    consent_record(character=character, user=people.member, ip="198.51.100.4", user_agent="Safari")
    AssetFactory(org=org, title="Beach day", filename="beach.jpg")
    AssetFactory(org=people.other_org, title="Rival's secret", filename="secret.jpg")
    return character


def _export(client, capture):
    with capture(execute=True):
        response = client.post(REQUEST)
    assert response.status_code == 302
    return DataExport.objects.get()


def _zip(export) -> zipfile.ZipFile:
    with storage.storage().open(export.key, "rb") as fh:
        return zipfile.ZipFile(io.BytesIO(fh.read()))


def test_an_owner_gets_a_zip_of_everything_and_an_email_with_the_link(
    login, org, people, content, mailbox, django_capture_on_commit_callbacks
):
    export = _export(login("owner"), django_capture_on_commit_callbacks)

    assert (export.status, export.progress, export.files) == ("ready", 100, 2)
    assert export.expires_at - export.finished_at == timedelta(days=7)
    archive = _zip(export)
    names = set(archive.namelist())
    assert {
        "README.txt",
        "organisation.json",
        "members.csv",
        "characters.json",
        "consent_records.csv",
        "library.csv",
        "jobs.csv",
        "ledger.csv",
        "audit_log.csv",
    } <= names
    assert "library/Beach day.jpg" in names
    assert any(n.startswith("characters/Ava Reyes-") and "/dataset/closeup/" in n for n in names)
    assert not any("secret" in n.lower() for n in names)
    characters = json.loads(archive.read("characters.json"))
    assert characters[0]["consent_records"][0]["ip"] == "198.51.100.4"
    assert {row[0] for row in csv.reader(io.StringIO(archive.read("members.csv").decode()))} >= {
        people.owner.email,
        people.viewer.email,
    }
    assert "Studio plan credits" in archive.read("ledger.csv").decode()
    assert actions.DATA_EXPORT_REQUESTED in archive.read("audit_log.csv").decode()

    mail = mailbox.only(people.owner.email)
    assert "ready" in mail.subject
    link = mailbox.link(mail, "/privacy/exports/")
    response = login("owner").get(link)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=actions.DATA_EXPORT_DOWNLOADED, actor=people.owner).exists()


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_an_owner_can_export(login, org, role, status):
    assert login(role).post(REQUEST).status_code == status
    assert not DataExport.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("outsider", 404)])
def test_the_download_link_works_only_for_an_owner(login, org, people, members, role, status):
    export, _ = exports.export_request(actor=members.owner)
    exports.export_build(export_id=export.pk)
    url = f"/privacy/exports/{exports.download_token(export)}/"
    assert login(role).get(url).status_code == status


def test_the_link_expires_after_a_week_and_says_so(login, members):
    export, _ = exports.export_request(actor=members.owner)
    exports.export_build(export_id=export.pk)
    url = f"/privacy/exports/{exports.download_token(export)}/"
    client = login("owner")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.get(url)
    assert response.status_code == 410
    assert "more than a week old" in text_of(response) or "expired" in text_of(response)
    forged = client.get(url[:-5] + "abcd/")
    assert forged.status_code == 410
    assert "This link doesn't work" in text_of(forged)


def test_asking_twice_builds_one_export(login, org, members):
    first, created = exports.export_request(actor=members.owner)
    second, created_again = exports.export_request(actor=members.owner)
    assert (created, created_again, first.pk) == (True, False, second.pk)
    page = text_of(login("owner").post(REQUEST, follow=True))
    assert "already being built" in page
    assert DataExport.objects.count() == 1
    # The database holds the line too, whatever races past the check.
    with pytest.raises(IntegrityError):
        DataExport.objects.create(org=org)


def test_it_waits_for_running_jobs_and_says_how_to_stop_them(login, org, content):
    pack = GenerationJobFactory(character=content, status="running")
    page = text_of(login("owner").post(REQUEST, follow=True))
    assert "still running" in page
    assert "cancel" in page
    assert not DataExport.objects.exists()
    pack.status = "succeeded"
    pack.save(update_fields=["status"])
    login("owner").post(REQUEST)
    assert DataExport.objects.count() == 1


def test_the_card_is_polled_until_the_export_ends(login, members):
    export, _ = exports.export_request(actor=members.owner)
    client = login("owner")
    url = f"/o/northstar/settings/privacy/exports/{export.public_id}/"
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    exports.export_build(export_id=export.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 286
    assert "Download the zip" in text_of(done)


def test_a_failed_build_says_so_and_can_be_asked_again(login, members, monkeypatch):
    export, _ = exports.export_request(actor=members.owner)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports.contents, "people", broken)
    exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed"
    assert "couldn't be built" in text_of(login("owner").get(PAGE))
    again, created = exports.export_request(actor=members.owner)
    assert created
    assert again.pk != export.pk


def test_building_twice_does_nothing_the_second_time(members):
    export, _ = exports.export_request(actor=members.owner)
    exports.export_build(export_id=export.pk)
    key = DataExport.objects.get().key
    exports.export_build(export_id=export.pk)
    assert DataExport.objects.get().key == key
