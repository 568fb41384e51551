"""Every kind of job notifies its creator once when it ends, after the commit, from
``engine.job_finish``; grouped with the same kind's; nothing for a cancel or a deleted job."""

import pytest

from assets.tests.factories import AssetFactory
from characters.tests.factories import CharacterFactory
from core.jobs import JobStatus
from generation.models import EditJob
from generation.services import upscale_start
from generation.tests.factories import EditJobFactory, PromptDraftFactory
from jobs import engine
from jobs.notices import job_notify
from notifications import kinds
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _finish(job, status, error=""):
    locked = engine.job_lock(type(job), job.pk)
    engine.job_finish(locked, status, error)


def test_a_finished_job_notifies_its_creator_once_after_the_commit(
    org, fund, people, django_capture_on_commit_callbacks
):
    fund(20)
    job = upscale_start(org=org, user=people.member, asset=AssetFactory(org=org, filename="beach.jpg"), factor=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _finish(job, JobStatus.FAILED, "The provider was down.")
    assert not Notification.objects.exists()  # not before the commit
    for callback in callbacks:
        callback()
    [note] = Notification.objects.all()
    assert note.user == people.member
    assert note.title.startswith("Upscale 2× of")
    assert note.title.endswith(": failed")
    assert "The provider was down." in note.body
    assert "credits held for it are available again" in note.body
    assert note.url == job.get_absolute_url()
    # A second finish of the same job (a duplicate task) tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        _finish(EditJob.objects.get(pk=job.pk), JobStatus.FAILED, "Again")
    assert Notification.objects.count() == 1


def test_a_kind_with_only_a_name_notifies_with_the_defaults(org, people, django_capture_on_commit_callbacks):
    draft = PromptDraftFactory(character=CharacterFactory(org=org, name="Nova"), created_by=people.member)
    with django_capture_on_commit_callbacks(execute=True):
        _finish(draft, JobStatus.SUCCEEDED)
    [note] = Notification.objects.all()
    assert note.title == "5 prompts written for Nova: done"
    assert note.kind == "job:generation-promptdraft"
    assert kinds.kind_get("job:generation-promptdraft") is not None  # on the preferences page


def test_several_of_a_kind_are_grouped(org, people, django_capture_on_commit_callbacks):
    jobs = [EditJobFactory(org=org, created_by=people.member) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for job in jobs:
            _finish(job, JobStatus.SUCCEEDED)
    [note] = Notification.objects.all()
    assert note.count == 3
    assert note.title == "3 image edits done"
    assert note.url.endswith("?kind=generation-editjob&status=succeeded")


def test_a_cancel_or_a_deleted_job_tells_nobody(org, people, django_capture_on_commit_callbacks):
    job = EditJobFactory(org=org, created_by=people.member)
    with django_capture_on_commit_callbacks(execute=True):
        _finish(job, JobStatus.CANCELLED, "Cancelled by Kim.")
    gone = EditJobFactory(org=org, created_by=people.member, status=JobStatus.SUCCEEDED)
    gone_id = gone.pk
    gone.delete()
    assert job_notify(EditJob, gone_id) is None
    assert not Notification.objects.exists()
