"""Data & privacy and the audit log in a browser: an owner exports everything (request, progress
from a real worker, the emailed link downloads the zip), deletes the organisation and undoes it,
and reads the audit log with its filters."""

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect

from assets.tests.factories import AssetFactory
from audit import actions
from audit.services import record
from characters.services import consent_record
from characters.tests.factories import CharacterFactory, DatasetImageFactory
from tests.e2e.conftest import mail_links
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder


def _sign_in(page: Page, site, email: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_owner_exports_everything_and_downloads_it_from_the_email(page: Page, site, worker, settings):
    settings.EMAIL_FILE_PATH = str(Path(settings.MEDIA_ROOT).parent / "mail")
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    owner = MembershipFactory(org=org, role="owner", user__name="Maya Okafor").user
    character = CharacterFactory(org=org, name="Ava Reyes")
    for _ in range(3):
        DatasetImageFactory(character=character)
    consent_record(character=character, user=owner, ip="198.51.100.4", user_agent="Chromium")
    for n in range(12):
        AssetFactory(org=org, title=f"Beach day {n}", filename=f"beach-{n}.jpg", size=(640, 480))

    _sign_in(page, site, owner.email)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Data & privacy").click()
    expect(page.get_by_role("heading", name="Export all data")).to_be_visible()
    page.get_by_role("button", name="Export all data").click()

    card = page.locator("#export-card")
    expect(card).to_have_attribute("data-export-status", "ready", timeout=60_000)
    expect(card).to_contain_text("Your export is ready: 15 files")
    _shot(page, "privacy-export-ready.png")

    # The emailed link: signed, for the owner; it answers with the zip itself.
    links = mail_links(owner.email, r"https?://\S+/privacy/exports/\S+/")
    assert len(links) == 1
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url }", links[0])
    download = download_info.value
    assert download.suggested_filename.startswith("bright-all-data-")
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
        assert "library/Beach day 0.jpg" in names
        assert sum("/dataset/" in name for name in names) == 3
        assert "198.51.100.4" in archive.read("consent_records.csv").decode()
        assert actions.DATA_EXPORT_REQUESTED in archive.read("audit_log.csv").decode()

    page.goto(site.url + "/o/bright/settings/audit-log/")
    expect(page.locator("tr[data-action='export.downloaded']")).to_have_count(1)


def test_an_owner_deletes_the_organisation_and_undoes_it(page: Page, site, settings):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    owner = MembershipFactory(org=org, role="owner").user
    _sign_in(page, site, owner.email)
    page.goto(site.url + "/o/bright/settings/privacy/")

    confirm = page.get_by_label("Type Bright Studio to confirm")
    confirm.fill("bright studio")
    page.get_by_role("button", name="Delete Bright Studio").click()
    expect(page.locator(".field.has-error")).to_contain_text("exactly as shown")

    page.get_by_label("Type Bright Studio to confirm").fill("Bright Studio")
    page.get_by_role("button", name="Delete Bright Studio").click()
    banner = page.locator("#deletion-banner")
    expect(banner).to_contain_text("Bright Studio will be deleted on")
    org.refresh_from_db()
    expect(banner).to_contain_text(f"{org.deletion_due_at:%-d %B %Y}")
    _shot(page, "privacy-deletion-scheduled.png")

    # Read-only meanwhile: a change elsewhere is refused with the reason.
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="General").click()
    expect(banner).to_be_visible()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="You can't do that here")).to_be_visible()
    expect(page.locator("main")).to_contain_text("scheduled for deletion")

    page.goto(site.url + "/o/bright/")
    page.locator("#deletion-banner").get_by_role("button", name="Undo the deletion").click()
    expect(page.locator("#messages")).to_contain_text("The deletion is undone")
    expect(page.locator("#deletion-banner")).to_have_count(0)
    org.refresh_from_db()
    assert org.deletion_due_at is None


def test_an_admin_filters_the_audit_log(page: Page, site):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    owner = MembershipFactory(org=org, role="owner", user__email="maya@example.com").user
    admin = MembershipFactory(org=org, role="admin", user__email="leo@example.com").user
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=UTC), tick=False):
        record(action=actions.INVITATION_SENT, summary="Leo invited kim@example.com as member", org=org, actor=admin)
    with time_machine.travel(datetime(2026, 5, 4, 9, tzinfo=UTC), tick=False):
        record(
            action=actions.MEMBER_ROLE_CHANGED, summary="Maya changed leo@example.com to admin", org=org, actor=owner
        )
    with time_machine.travel(datetime(2026, 5, 6, 9, tzinfo=UTC), tick=False):
        record(
            action=actions.CREDITS_ADJUSTED,
            summary="Personae support added 50 credits: outage",
            org=org,
            actor=owner,
            by_staff=True,
        )

    _sign_in(page, site, admin.email)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Audit log").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(3)
    _shot(page, "audit-log.png")

    page.get_by_label("Action").select_option(label="Role changed")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Maya changed leo@example.com to admin")

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Who").select_option(label="Personae support")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("added 50 credits")

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("From").fill("2026-05-01")
    page.get_by_label("To").fill("2026-05-02")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Leo invited kim@example.com")

    csv_link = page.get_by_role("link", name="Download CSV")
    response = page.request.get(csv_link.get_attribute("href") and site.url + csv_link.get_attribute("href"))
    lines = io.StringIO(response.text()).read().splitlines()
    assert len(lines) == 2
    assert "Leo invited kim@example.com" in lines[1]
