"""Staff cancel and retry jobs from the admin (jobs.admin.JobAdmin) through the app's own services."""

import pytest
from django.urls import reverse

from billing.services import credits_available, ledger_problems
from generation import services
from generation.models import EditJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _act(client, action, job):
    url = reverse("admin:generation_editjob_changelist")
    return client.post(url, {"action": action, "_selected_action": [job.pk]}, follow=True)


def test_staff_cancel_returns_the_credits_and_leaves_finished_jobs_alone(
    staff_client, people, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)  # queued, not yet sent
    assert credits_available(org) == 12
    with django_capture_on_commit_callbacks(execute=True):
        page = _act(staff_client, "cancel_jobs", job)
    assert "Cancelled 1 job(s)" in page.content.decode()
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 20
    page = _act(staff_client, "cancel_jobs", job)  # already finished: nothing to cancel
    assert "Cancelled 0 job(s)" in page.content.decode()
    assert ledger_problems(org) == []


def test_staff_retry_charges_the_person_who_asked_and_says_why_it_cannot(
    staff_client, people, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    page = _act(staff_client, "retry_jobs", job)  # still queued: the service refuses, in words
    assert "Only failed or cancelled" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_job_cancel(job=job, user=people.member)
        _act(staff_client, "retry_jobs", job)
    again = EditJob.objects.get(retry_of=job)
    assert again.created_by == people.member
    assert again.status == "succeeded"
    assert credits_available(org) == 12


def test_job_rows_cannot_be_added_deleted_or_edited(staff_client, people, org, fund, photo):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    assert staff_client.get(reverse("admin:generation_editjob_add")).status_code == 403
    page = staff_client.get(reverse("admin:generation_editjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
