"""Concurrency on the real Postgres: many clicks against few credits, and cancel racing completion."""

import threading

import pytest
from django.db import connection

from assets.models import Asset
from billing.models import Hold, Plan
from billing.services import InsufficientCredits, credits_available, ledger_problems
from core.exceptions import DomainError, LimitReached
from generation import services
from generation.models import EditJob
from providers import gateway
from providers.adapters.base import Status
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db(transaction=True)


def _in_threads(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_forty_clicks_with_credits_for_ten_run_exactly_ten(settings, people, org, fund, photo):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # each accepted click runs through the demo provider inline
    Plan.objects.filter(pk=org.plan_id).update(max_concurrent_jobs=40)  # credits are the limit here
    org.refresh_from_db()
    fund(80)
    results = _in_threads(40, lambda i: services.upscale_start(org=org, user=people.member, asset=photo, factor=2))

    jobs = [r for r in results if isinstance(r, EditJob)]
    refused = [r for r in results if isinstance(r, InsufficientCredits)]
    assert len(jobs) == 10, [r for r in results if not isinstance(r, (EditJob, InsufficientCredits))]
    assert len(refused) == 30
    assert EditJob.objects.count() == 10
    assert ProviderCall.objects.count() == 10
    assert set(EditJob.objects.values_list("status", flat=True)) == {"succeeded"}
    assert Asset.objects.filter(org=org, source=Asset.Source.EDITED).count() == 10
    assert credits_available(org) == 0
    assert Hold.objects.filter(status="captured").count() == 10
    assert ledger_problems(org) == []


def test_forty_clicks_with_three_job_slots_start_exactly_three(settings, people, org, fund, photo):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the accepted jobs stay queued, holding their slots
    Plan.objects.filter(pk=org.plan_id).update(max_concurrent_jobs=3)
    org.refresh_from_db()
    fund(400)
    results = _in_threads(40, lambda i: services.upscale_start(org=org, user=people.member, asset=photo, factor=2))

    jobs = [r for r in results if isinstance(r, EditJob)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert len(jobs) == 3, [r for r in results if not isinstance(r, (EditJob, LimitReached))]
    assert len(refused) == 37
    assert EditJob.objects.count() == 3
    assert credits_available(org) == 400 - 3 * 8
    assert Hold.objects.filter(status="active").count() == 3
    assert ledger_problems(org) == []


def _queued_job_with_a_finished_call(people, org, photo):
    """A job whose provider call has just succeeded; the result is waiting to be copied."""
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    # Let the demo provider do the work, but hold back the finish step the gateway would enqueue.
    call = ProviderCall.objects.get(pk=job.call_id)
    from providers.adapters.demo import _work

    output = _work(call.endpoint_id, "race", {"image_url": f"storage:{photo.original_key}", "upscale_factor": 2})
    ProviderCall.objects.filter(pk=call.pk).update(status="running", request_id="demo-race")
    gateway.call_apply_status(call.pk, Status("succeeded", output=output))
    return job


@pytest.mark.parametrize("run", range(3))
def test_cancel_racing_completion_settles_exactly_once(settings, people, org, fund, photo, run):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # nothing runs behind our back; we drive both sides
    fund(8)
    job = _queued_job_with_a_finished_call(people, org, photo)

    def side(i):
        if i == 0:
            return gateway.call_finish(job.call_id)
        try:
            services.edit_job_cancel(job=job, user=people.member)
            return "cancelled"
        except DomainError as exc:
            return exc.message

    _in_threads(2, side)
    job.refresh_from_db()
    hold = Hold.objects.get(pk=job.hold_id)
    results = Asset.objects.filter(org=org, source=Asset.Source.EDITED).count()
    if job.status == "succeeded":
        assert (hold.status, results, credits_available(org)) == ("captured", 1, 0)
    else:
        assert job.status == "cancelled"
        assert (hold.status, results, credits_available(org)) == ("released", 0, 8)
    assert ledger_problems(org) == []


def test_a_webhook_after_cancel_changes_nothing(settings, people, org, fund, photo):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    fund(8)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    ProviderCall.objects.filter(pk=job.call_id).update(status="queued", request_id="demo-late")
    services.edit_job_cancel(job=job, user=people.member)
    assert not gateway.call_apply_status(job.call_id, Status("succeeded", output={"image": {"url": "storage:x"}}))
    gateway.call_finish(job.call_id)  # the finish the cancel enqueued
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 8
    assert not Asset.objects.filter(source=Asset.Source.EDITED).exists()


@pytest.mark.parametrize("run", range(3))
def test_forty_posts_with_one_key_start_one_pack(settings, people, org, fund, swap_character, run):
    """A double (or forty-fold) submit of one Studio form starts one pack, and every request gets it."""
    from generation import packs
    from generation.models import GenerationJob

    settings.CELERY_TASK_ALWAYS_EAGER = False
    fund(500)
    key = f"studio-form-{run}"
    results = _in_threads(
        40,
        lambda i: packs.pack_start(
            character=swap_character, user=people.member, recipe=packs.PackRecipe(count=5), key=key
        ),
    )

    errors = [r for r in results if not isinstance(r, GenerationJob)]
    assert errors == []
    assert len({r.pk for r in results}) == 1
    assert GenerationJob.objects.filter(org=org).count() == 1
    assert Hold.objects.filter(org=org).count() == 1
    assert ProviderCall.objects.count() == 5
    assert ledger_problems(org) == []


def test_forty_studio_posts_with_one_key_all_land_on_one_pack(settings, people, org, fund, swap_character):
    """The same race through the Studio's view: no request errors, all redirect to the one pack."""
    import uuid

    from django.test import Client
    from django.urls import reverse

    from generation.models import GenerationJob

    settings.CELERY_TASK_ALWAYS_EAGER = False
    fund(500)
    form = {
        "scene": "night_out",
        "environment": "urban_street",
        "outfit": "",
        "aspect_ratio": "9:16",
        "quality": "draft",
        "count": "5",
        "seed": "",
        "prompt_text": "",
        "key": str(uuid.uuid4()),
    }
    url = reverse("generation:studio", args=[org.slug, swap_character.public_id])

    def post(i):
        client = Client(raise_request_exception=False)
        client.force_login(people.member)
        return client.post(url, form)

    responses = _in_threads(40, post)

    assert [getattr(r, "status_code", r) for r in responses] == [302] * 40
    job = GenerationJob.objects.get(org=org)
    assert {r["Location"].split("pack=")[1].split("#")[0] for r in responses} == {str(job.public_id)}
    assert ledger_problems(org) == []


def test_forty_api_requests_with_one_idempotency_key_get_one_pack(settings, people, org, fund, swap_character, api_key):
    """The same race through the JSON API: every request answers with the one pack."""
    from django.test import Client

    from generation.models import GenerationJob

    settings.CELERY_TASK_ALWAYS_EAGER = False
    fund(500)
    body = {"character": str(swap_character.public_id), "count": 5}
    headers = {**api_key(people.member), "Idempotency-Key": "api-retry-1"}

    def post(i):
        client = Client(raise_request_exception=False)
        return client.post("/api/v1/generations/", body, content_type="application/json", headers=headers)

    responses = _in_threads(40, post)

    assert {getattr(r, "status_code", r) for r in responses} <= {200, 201}
    job = GenerationJob.objects.get(org=org)
    assert {r.json()["id"] for r in responses} == {str(job.public_id)}
    assert Hold.objects.filter(org=org).count() == 1
    assert ledger_problems(org) == []
