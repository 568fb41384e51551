"""The job centre lists imports, library downloads and (to owners) data exports beside the paid
jobs: status, progress, links to what they made, and a retry for a failed import or export — each
organisation sees only its own."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assets.models import Export, MediaImport
from assets.tests.factories import AssetRowFactory
from core.jobs import JobStatus
from generation.tests.factories import EditJobFactory
from jobs import selectors
from privacy.models import DataExport

pytestmark = pytest.mark.django_db


def _url(org, **query):
    url = reverse("jobs:centre", args=[org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _import(org, user=None, **fields):
    fields.setdefault("media_url", "https://i.pinimg.com/originals/aa/bb/summer.jpg")
    return MediaImport.objects.create(org=org, created_by=user, **fields)


def test_imports_and_library_downloads_are_listed_with_their_state_and_results(login, org, people):
    photo = AssetRowFactory(org=org, title="Summer look")
    _import(
        org, people.member, status=MediaImport.Status.DONE, asset=photo, page_url="https://www.pinterest.com/pin/1/"
    )
    _import(org, people.member, status=MediaImport.Status.FAILED, error="The site refused: 403.")
    _import(org, people.member, status=MediaImport.Status.FETCHING)
    ready = Export.objects.create(org=org, asset_ids=[1, 2, 3], status=Export.Status.READY, progress=100)
    Export.objects.create(org=org, asset_ids=[4], status=Export.Status.RUNNING, progress=40)
    _import(people.other_org, media_url="https://pins.example.org/rival-secret.jpg")

    html = login("viewer").get(_url(org)).content.decode()

    assert "Summer look" in html
    assert "From www.pinterest.com" in html
    assert reverse("assets:detail", args=[org.slug, photo.public_id]) in html  # the imported item
    assert "The site refused: 403." in html
    assert "Picture or video from i.pinimg.com" in html
    assert "Zip of 3 library items" in html
    assert reverse("assets:export_download", args=[org.slug, ready.public_id]) in html
    assert 'aria-valuenow="40"' in html  # the zip's measured progress
    assert "rival-secret" not in html  # another organisation's
    assert "Try again" not in html  # a viewer can't start anything


def test_a_duplicate_import_links_to_the_copy_already_in_the_library(login, org, people):
    there = AssetRowFactory(org=org, title="Already here")
    _import(org, people.member, status=MediaImport.Status.DUPLICATE, asset=there)
    html = login("member").get(_url(org)).content.decode()
    assert "Open the copy already in your library" in html
    assert reverse("assets:detail", args=[org.slug, there.public_id]) in html


def test_the_filters_apply_to_activities_too(org, people):
    done = _import(org, people.member, status=MediaImport.Status.DONE)
    failed = _import(org, people.admin, status=MediaImport.Status.FAILED)
    EditJobFactory(org=org)

    def shown(**where):
        return [row.job.public_id for row in selectors.job_page(org, selectors.JobFilter(**where)).rows]

    assert shown(kind="assets-mediaimport") == [failed.public_id, done.public_id]
    assert shown(kind="assets-mediaimport", status="failed") == [failed.public_id]
    assert shown(kind="assets-mediaimport", who=people.member) == [done.public_id]
    assert all(
        not row.is_activity for row in selectors.job_page(org, selectors.JobFilter(kind="generation-editjob")).rows
    )
    MediaImport.objects.filter(pk=done.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert shown(kind="assets-mediaimport", period="today") == [failed.public_id]
    # Jobs and imports share one cursor: the next page goes on where the first stopped.
    first = selectors.job_page(org, selectors.JobFilter(), size=2)
    rest = selectors.job_page(org, selectors.JobFilter(before=first.next_before), size=2)
    assert [row.job.public_id for row in rest.rows] == [done.public_id]
    assert len({row.job.public_id for row in first.rows + rest.rows}) == 3


def test_the_kind_filter_offers_imports_and_downloads(login, org):
    html = login("viewer").get(_url(org)).content.decode()
    assert '<option value="assets-mediaimport"' in html
    assert '<option value="assets-export"' in html


def test_a_failed_import_can_be_tried_again_as_a_new_one(
    login, org, people, django_capture_on_commit_callbacks, monkeypatch
):
    from assets import fetching

    monkeypatch.setattr(fetching, "check_url", lambda url, policy: None)  # no DNS in tests
    queued = []
    monkeypatch.setattr("assets.services.imports._queue", queued.append)
    failed = _import(org, people.member, status=MediaImport.Status.FAILED, error="Timed out.", author="ann")
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:retry", args=[org.slug, "assets-mediaimport", failed.public_id]))
    assert response.status_code == 302
    again = MediaImport.objects.exclude(pk=failed.pk).get(org=org)
    assert (again.media_url, again.author, again.status) == (failed.media_url, "ann", MediaImport.Status.QUEUED)
    assert queued == [again.pk]
    failed.refresh_from_db()
    assert failed.status == MediaImport.Status.FAILED  # the failed one stays as it was


def test_only_a_failed_import_can_be_tried_again(login, org, people):
    done = _import(org, people.member, status=MediaImport.Status.DONE)
    client = login("member")
    response = client.post(reverse("jobs:retry", args=[org.slug, "assets-mediaimport", done.public_id]), follow=True)
    assert "Only a failed import can be tried again." in response.content.decode()
    assert MediaImport.objects.filter(org=org).count() == 1


def test_another_orgs_import_and_a_viewer_are_refused(login, org, people):
    theirs = _import(people.other_org, status=MediaImport.Status.FAILED)
    url = reverse("jobs:retry", args=[org.slug, "assets-mediaimport", theirs.public_id])
    assert login("member").post(url).status_code == 404
    mine = _import(org, status=MediaImport.Status.FAILED)
    assert (
        login("viewer").post(reverse("jobs:retry", args=[org.slug, "assets-mediaimport", mine.public_id])).status_code
        == 403
    )
    assert MediaImport.objects.filter(org=org).count() == 1


def test_imports_have_no_cancel(login, org):
    running = _import(org, status=MediaImport.Status.FETCHING)
    url = reverse("jobs:cancel", args=[org.slug, "assets-mediaimport", running.public_id])
    assert login("member").post(url).status_code == 404


def test_data_exports_are_shown_to_owners_only(client, org, people):
    DataExport.objects.create(
        org=org,
        requested_by=people.owner,
        status=DataExport.Status.RUNNING,
        progress=55,
        step="Adding the library (120 of 300 files)",
    )
    client.force_login(people.owner)
    html = client.get(_url(org)).content.decode()
    assert "Export of all of Northstar Talent&#x27;s data" in html
    assert "Adding the library (120 of 300 files)" in html
    assert 'aria-valuenow="55"' in html
    assert '<option value="privacy-dataexport"' in html
    client.force_login(people.admin)
    html = client.get(_url(org)).content.decode()
    assert "Northstar Talent&#x27;s data" not in html
    assert '<option value="privacy-dataexport"' not in html
    assert "There is no kind of job" in client.get(_url(org, kind="privacy-dataexport")).content.decode()


def test_a_ready_data_export_links_to_its_download(client, org, people):
    export = DataExport.objects.create(
        org=org,
        requested_by=people.owner,
        status=DataExport.Status.READY,
        progress=100,
        files=12,
        bytes=2_000_000,
        key="orgs/x/export.zip",
        expires_at=timezone.now() + timedelta(days=7),
    )
    client.force_login(people.owner)
    html = client.get(_url(org)).content.decode()
    assert "12 files · 1.9\xa0MB" in html
    row = next(
        r
        for r in selectors.job_page(org, selectors.JobFilter(), membership=org.memberships.get(user=people.owner)).rows
        if r.job.public_id == export.public_id
    )
    assert [r.label for r in row.results] == ["Download the zip"]
    assert row.results[0].url.startswith("/privacy/exports/")
    assert 'href="/privacy/exports/' in html  # the signed link (signed anew on every page)
    assert row.job.status == JobStatus.SUCCEEDED


def test_a_failed_data_export_is_tried_again_by_an_owner(
    client, org, people, django_capture_on_commit_callbacks, monkeypatch
):
    started = []
    monkeypatch.setattr("privacy.tasks.build_data_export.delay", started.append)
    failed = DataExport.objects.create(
        org=org, requested_by=people.owner, status=DataExport.Status.FAILED, error="Disk full."
    )
    url = reverse("jobs:retry", args=[org.slug, "privacy-dataexport", failed.public_id])
    client.force_login(people.admin)
    assert client.post(url).status_code == 404  # an admin doesn't see data exports at all
    client.force_login(people.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    again = DataExport.objects.exclude(pk=failed.pk).get(org=org)
    assert again.status == DataExport.Status.QUEUED
    assert started == [again.pk]
