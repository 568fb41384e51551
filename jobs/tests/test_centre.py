"""The job centre: every kind of job of the organisation, generically, with filters, progress, an
ETA, the credits and cancel / retry through each kind's hooks."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assets.tests.factories import AssetFactory
from characters.models import TrainingRun
from characters.tests.factories import CharacterFactory, CharacterJobFactory, TrainingRunFactory
from core.exceptions import DomainError
from core.jobs import JobStatus
from generation.models import EditJob, GenerationJob
from generation.services import upscale_start
from generation.tests.factories import (
    EditJobFactory,
    GenerationImageFactory,
    GenerationJobFactory,
    PromptDraftFactory,
)
from jobs import selectors, services
from jobs.engine import job_models
from jobs.models import Job
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _url(org, **query):
    url = reverse("jobs:centre", args=[org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_it_lists_every_kind_of_job_of_the_org(login, org, people):
    character = CharacterFactory(org=org, name="Nova")
    EditJobFactory(org=org, source_title="beach.jpg")
    GenerationJobFactory(character=character, count=4)
    TrainingRunFactory(character=character)
    CharacterJobFactory(character=character)
    PromptDraftFactory(character=character)
    EditJobFactory(org=people.other_org, source_title="rival.jpg")
    html = login("viewer").get(_url(org)).content.decode()
    assert "Upscale 2× of “beach.jpg”" in html
    assert "4 images of Nova" in html
    assert "Face model training for Nova" in html
    assert "5 prompts written for Nova" in html
    assert "rival.jpg" not in html  # another organisation's


def test_every_kind_has_a_name_and_a_page(org):
    for model in job_models():
        assert model.kind_label()
        assert hasattr(model, "get_absolute_url"), f"{model.__name__} has no page to link to"


def test_it_filters_by_kind_status_who_and_period(login, org, people):
    mine = EditJobFactory(org=org, created_by=people.member, source_title="mine.jpg")
    EditJobFactory(org=org, created_by=people.owner, source_title="theirs.jpg", status=JobStatus.FAILED)
    old = EditJobFactory(org=org, source_title="old.jpg")
    EditJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    GenerationJobFactory(character=CharacterFactory(org=org, name="Ava"))
    client = login("member")
    html = client.get(_url(org, kind="generation-editjob")).content.decode()
    assert "mine.jpg" in html
    assert "Ava" not in html
    html = client.get(_url(org, status="failed")).content.decode()
    assert "theirs.jpg" in html
    assert "mine.jpg" not in html
    html = client.get(_url(org, who="me")).content.decode()
    assert "mine.jpg" in html
    assert "theirs.jpg" not in html
    html = client.get(_url(org, period="month")).content.decode()
    assert "mine.jpg" in html
    assert "old.jpg" not in html
    assert mine.public_id


def test_an_unknown_kind_or_person_shows_everything_and_says_so(login, org):
    EditJobFactory(org=org, source_title="beach.jpg")
    html = login("viewer").get(_url(org, kind="nope-nothing", who="not-a-uuid")).content.decode()
    assert "There is no kind of job called “nope-nothing”" in html
    assert "a member of this organisation, so everyone" in html
    assert "beach.jpg" in html


def test_a_kind_with_only_a_name_and_a_page_appears_with_defaults(org):
    """What another app's new job model gets with nothing but ``verbose_name`` and a page."""
    job = PromptDraftFactory(character=CharacterFactory(org=org))
    assert Job.centre_title(job) == "Prompt draft"
    assert job.progress_percent() is None  # queued, nothing measures it
    assert not type(job).can_cancel()
    assert not type(job).can_retry()
    with pytest.raises(DomainError, match="can't be cancelled here"):
        services.job_cancel(job=job, user=None)


def test_progress_comes_from_the_items(org):
    pack = GenerationJobFactory(character=CharacterFactory(org=org), count=4, status=JobStatus.RUNNING)
    for status in ("succeeded", "failed", "running", "queued"):
        GenerationImageFactory(job=pack, status=status)
    [row] = selectors.job_page(org, selectors.JobFilter(kind="generation-generationjob")).rows
    assert row.progress == 50
    assert not row.estimated


def test_the_eta_is_the_median_of_recent_finished_jobs_of_the_operation(org):
    now = timezone.now()
    for minutes in (1, 2, 10):
        done = EditJobFactory(org=org, status=JobStatus.SUCCEEDED)
        EditJob.objects.filter(pk=done.pk).update(
            created_at=now - timedelta(minutes=minutes + 60), finished_at=now - timedelta(minutes=60)
        )
    running = EditJobFactory(org=org, status=JobStatus.RUNNING)
    EditJob.objects.filter(pk=running.pk).update(created_at=now - timedelta(seconds=30))
    assert selectors.typical_duration(EditJob, "upscale") == timedelta(minutes=2)
    row = next(r for r in selectors.job_page(org, selectors.JobFilter()).rows if r.job.pk == running.pk)
    assert row.estimated
    assert row.progress == 25
    assert row.eta is not None
    assert timedelta(seconds=80) < row.eta - now < timedelta(seconds=100)


def test_no_eta_before_the_first_finished_job(org):
    EditJobFactory(org=org, status=JobStatus.RUNNING)
    [row] = selectors.job_page(org, selectors.JobFilter()).rows
    assert row.eta is None
    assert row.progress is None


def test_a_job_whose_target_was_deleted_is_listed_without_a_link(login, org):
    pack = GenerationJobFactory(character=CharacterFactory(org=org, name="Gone"))
    GenerationJob.objects.filter(pk=pack.pk).update(character=None)  # the character was deleted
    [row] = selectors.job_page(org, selectors.JobFilter()).rows
    assert row.title == "1 image of Gone"  # the name it kept
    assert row.link == pack.get_absolute_url()  # a pack's page is its own
    assert selectors.job_link(TrainingRun(org=org)) == ""  # a training's page was its character's
    html = login("viewer").get(_url(org)).content.decode()
    assert "1 image of Gone" in html


def test_it_pages_with_a_cursor_and_few_queries(org):
    character = CharacterFactory(org=org)
    for _ in range(35):
        EditJobFactory(org=org)
    for _ in range(5):
        GenerationJobFactory(character=character)
    with CaptureQueriesContext(connection) as queries:
        first = selectors.job_page(org, selectors.JobFilter())
    assert len(first.rows) == 30
    assert first.next_before is not None
    assert len(queries) <= len(job_models()) + 2  # one per kind (+ ETAs), not one per job
    rest = selectors.job_page(org, selectors.JobFilter(before=first.next_before))
    assert len(rest.rows) == 10
    assert rest.next_before is None
    seen = {(r.kind, r.job.pk) for r in first.rows}
    assert not seen & {(r.kind, r.job.pk) for r in rest.rows}


def test_the_page_polls_while_a_job_runs_and_stops_when_none_does(login, org):
    job = EditJobFactory(org=org)
    client = login("viewer")
    response = client.get(_url(org), headers={"HX-Request": "true", "HX-Target": "job-rows"})
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.content.decode()
    EditJob.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    response = client.get(_url(org), headers={"HX-Request": "true", "HX-Target": "job-rows"})
    assert response.status_code == 286


def test_a_member_cancels_a_job_from_the_centre_and_gets_the_credits_back(login, org, fund, people):
    fund(20)
    job = upscale_start(org=org, user=people.member, asset=AssetFactory(org=org, filename="a.jpg"), factor=2)
    response = login("member").post(reverse("jobs:cancel", args=[org.slug, "generation-editjob", job.public_id]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.hold.status == "released"


def test_cancel_of_a_finished_job_is_refused_in_words(org):
    job = EditJobFactory(org=org, status=JobStatus.SUCCEEDED)
    with pytest.raises(DomainError, match="already finished"):
        services.job_cancel(job=job, user=None)


def test_retry_is_refused_where_the_kind_cannot(org):
    pack = GenerationJobFactory(character=CharacterFactory(org=org), status=JobStatus.FAILED)
    with pytest.raises(DomainError, match="can't be retried"):
        services.job_retry(job=pack, user=None)
    running = EditJobFactory(org=org, status=JobStatus.RUNNING)
    with pytest.raises(DomainError, match="Only a failed or cancelled"):
        services.job_retry(job=running, user=None)


def test_a_failed_upscale_is_retried_from_the_centre(login, org, fund, people):
    fund(20)
    job = EditJobFactory(org=org, status=JobStatus.FAILED, created_by=people.member)
    client = login("member")
    response = client.post(reverse("jobs:retry", args=[org.slug, "generation-editjob", job.public_id]))
    assert response.status_code == 302
    assert EditJob.objects.filter(retry_of=job).count() == 1


def test_a_viewer_cannot_cancel_and_an_outsider_gets_a_404(client, login, org, people):
    job = EditJobFactory(org=org)
    url = reverse("jobs:cancel", args=[org.slug, "generation-editjob", job.public_id])
    assert login("viewer").post(url).status_code == 403
    client.force_login(people.outsider)
    assert client.post(url).status_code == 404
    other = EditJobFactory(org=OrganizationFactory())
    client.force_login(people.member)
    url = reverse("jobs:cancel", args=[org.slug, "generation-editjob", other.public_id])
    assert client.post(url).status_code == 404  # another org's job, as if missing
    url = reverse("jobs:cancel", args=[org.slug, "nope-nothing", job.public_id])
    assert client.post(url).status_code == 404  # a kind that doesn't exist
    assert EditJob.objects.get(pk=job.pk).status == JobStatus.QUEUED
