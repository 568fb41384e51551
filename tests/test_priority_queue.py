"""Paid plans' jobs go ahead of Free ones: a real Redis broker and a real Celery worker take the
task of a paid organisation's upscale, queued after three Free ones, first."""

import time

import pytest

from assets.tests.factories import AssetFactory
from billing.limits import queue_priority
from billing.models import Plan
from billing.services import credits_grant
from config.celery import app
from generation import services
from generation.models import EditJob
from providers.gateway import call_route
from providers.models import ProviderCall
from tests.factories import MembershipFactory, OrganizationFactory
from tests.in_process_worker import in_process_worker


def _upscale_for(plan_slug: str):
    org = OrganizationFactory(plan=Plan.objects.get(slug=plan_slug))
    user = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=20, key=f"test:{org.pk}", description="Test credits")
    photo = AssetFactory(org=org, filename="portrait.jpg", size=(200, 150))
    return services.upscale_start(org=org, user=user, asset=photo, factor=2)


@pytest.mark.django_db
def test_it_queues_paid_plans_ahead_of_free(settings):
    free = OrganizationFactory(plan=Plan.objects.get(slug="free"))
    paid = OrganizationFactory(plan=Plan.objects.get(slug="creator"))
    assert queue_priority(free) == settings.CELERY_PRIORITY_FREE
    assert queue_priority(paid) == settings.CELERY_PRIORITY_PAID
    assert queue_priority(None) == settings.CELERY_PRIORITY_PAID
    # On the Redis broker 0 is taken first: the paid number must be the smaller one.
    assert settings.CELERY_PRIORITY_PAID < settings.CELERY_PRIORITY_FREE


@pytest.mark.django_db
def test_a_call_is_routed_to_its_queue_at_its_orgs_priority(settings):
    free = OrganizationFactory(plan=Plan.objects.get(slug="free"))
    call = ProviderCall(org=free, operation="upscale")
    assert call_route(call) == {"queue": "generation", "priority": settings.CELERY_PRIORITY_FREE}
    call = ProviderCall(org=OrganizationFactory(), operation="train_lora")
    assert call_route(call) == {"queue": "training", "priority": settings.CELERY_PRIORITY_PAID}


@pytest.mark.django_db
def test_a_free_plan_past_its_grace_date_is_not_paid(monkeypatch, settings):
    paid = OrganizationFactory(plan=Plan.objects.get(slug="studio"))
    monkeypatch.setattr("billing.limits.effective_plan", lambda org: Plan.objects.get(slug="free"))
    assert queue_priority(paid) == settings.CELERY_PRIORITY_FREE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_paid_job_queued_after_free_ones_runs_first(settings, tmp_path, django_db_blocker):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FAL_KEY = ""
    settings.DEMO_PROVIDER_LATENCY = 5.0
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        # No worker yet: the tasks wait in Redis, three Free ones first, then the paid one.
        free_jobs = [_upscale_for("free") for _ in range(3)]
        paid_job = _upscale_for("creator")
        with django_db_blocker.unblock(), in_process_worker(app):
            calls = ProviderCall.objects.filter(pk__in=[j.call_id for j in [*free_jobs, paid_job]])
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and calls.filter(sent_at__isnull=True).exists():
                time.sleep(0.05)
            sent = dict(calls.values_list("pk", "sent_at"))
    finally:
        app.conf.task_always_eager = True
        app.control.purge()
    assert None not in sent.values(), "the worker didn't submit every call"
    order = sorted(sent, key=lambda pk: sent[pk])
    assert order[0] == paid_job.call_id
    assert set(order[1:]) == {j.call_id for j in free_jobs}
    assert EditJob.objects.filter(pk=paid_job.pk).exists()


@pytest.mark.django_db
def test_the_pricing_page_says_paid_plans_go_first(client):
    html = client.get("/pricing/").content.decode()
    assert 'data-plan="free" data-field="priority">Standard<' in html
    assert 'data-plan="creator" data-field="priority">Priority: ahead of Free jobs<' in html
