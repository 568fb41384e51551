"""Upscale end to end on the demo provider: queue → running → done, credits held then captured."""

import pytest
from PIL import Image

from assets import storage
from assets.models import Asset
from billing.models import Hold, LedgerEntry
from billing.services import InsufficientCredits, credits_available, ledger_problems
from core.exceptions import DomainError
from generation import services
from generation.models import EditJob
from providers.models import ProviderCall


def _run(django_capture_on_commit_callbacks, fn, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return fn(**kwargs)


@pytest.mark.django_db
def test_upscale_lands_in_the_library_as_a_child_with_recipe_and_cost(
    people, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    job = _run(
        django_capture_on_commit_callbacks, services.upscale_start, org=org, user=people.member, asset=photo, factor=2
    )
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    result = job.result
    assert (result.width, result.height) == (320, 240)
    assert result.source == Asset.Source.EDITED
    assert list(result.parents.all()) == [photo]
    assert result.recipe["factor"] == 2
    assert result.recipe["cost"] == 8
    assert result.recipe["provider"] == "demo"
    assert "not AI" in result.recipe["model"]
    assert result.near_duplicate_of is None
    with storage.storage().open(result.original_key, "rb") as fh:
        assert Image.open(fh).size == (320, 240)
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.status == "succeeded"
    assert call.request_id.startswith("demo-")
    assert call.handled_at
    assert credits_available(org) == 12
    kinds = list(LedgerEntry.objects.filter(org=org).order_by("pk").values_list("kind", "amount", "held_delta"))
    assert kinds[-2:] == [("hold", 0, 8), ("capture", -8, -8)]
    assert Hold.objects.get(pk=job.hold_id).status == "captured"
    assert ledger_problems(org) == []
    # The demo provider draws it here: it cost 8 credits and no provider money.
    assert (result.credits_cost, result.provider_cost_usd, result.provider_cost_note) == (8, 0, "demo provider")
    assert result.provider_cost_label == "$0"


@pytest.mark.django_db
def test_five_times_costs_the_large_price(people, org, fund, photo, django_capture_on_commit_callbacks):
    fund(20)
    job = _run(
        django_capture_on_commit_callbacks, services.upscale_start, org=org, user=people.member, asset=photo, factor=5
    )
    job.refresh_from_db()
    assert job.operation == "upscale_large"
    assert job.credits == 15
    assert (job.result.width, job.result.height) == (800, 600)
    assert credits_available(org) == 5


@pytest.mark.django_db
def test_without_credits_nothing_is_queued(people, org, fund, photo):
    fund(5)
    with pytest.raises(InsufficientCredits) as exc:
        services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    assert exc.value.needed == 8
    assert exc.value.available == 5
    assert not EditJob.objects.exists()
    assert not ProviderCall.objects.exists()
    assert credits_available(org) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("factor", [0, 3, 10])
def test_factors_not_offered_are_refused(people, org, fund, photo, factor):
    fund(50)
    with pytest.raises(DomainError, match="2×, 4× or 5×"):
        services.upscale_start(org=org, user=people.member, asset=photo, factor=factor)
    assert not EditJob.objects.exists()


@pytest.mark.django_db
def test_a_result_over_the_pixel_limit_is_refused_up_front(people, org, fund):
    from assets.tests.factories import AssetFactory

    fund(50)
    big = AssetFactory(org=org, filename="big.jpg", size=(3000, 2000))
    options = {o.factor: o for o in services.upscale_options(big)}
    assert options[2].allowed
    assert not options[4].allowed
    assert "50 MP" in options[4].problem
    with pytest.raises(DomainError, match="over the library's limit"):
        services.upscale_start(org=org, user=people.member, asset=big, factor=4)
    assert credits_available(org) == 50


@pytest.mark.django_db
def test_a_failed_job_returns_the_credits_and_says_why(
    settings, people, org, fund, photo, django_capture_on_commit_callbacks
):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    fund(20)
    job = _run(
        django_capture_on_commit_callbacks, services.upscale_start, org=org, user=people.member, asset=photo, factor=2
    )
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Simulated failure" in job.error
    assert job.result is None
    assert credits_available(org) == 20
    assert Hold.objects.get(pk=job.hold_id).status == "released"
    assert ledger_problems(org) == []
    assert Asset.objects.filter(org=org).count() == 1


@pytest.mark.django_db
def test_retry_starts_a_new_job_that_can_succeed(
    settings, people, org, fund, photo, django_capture_on_commit_callbacks
):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    fund(20)
    failed = _run(
        django_capture_on_commit_callbacks, services.upscale_start, org=org, user=people.member, asset=photo, factor=2
    )
    failed.refresh_from_db()
    settings.DEMO_PROVIDER_FAILURE_RATE = 0.0
    again = _run(django_capture_on_commit_callbacks, services.edit_job_retry, job=failed, user=people.member)
    again.refresh_from_db()
    assert again.retry_of == failed
    assert again.status == "succeeded"
    assert credits_available(org) == 12


@pytest.mark.django_db
def test_only_finished_jobs_can_be_retried(people, org, fund, photo):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)  # callbacks not run: queued
    with pytest.raises(DomainError, match="Only failed or cancelled"):
        services.edit_job_retry(job=job, user=people.member)


@pytest.mark.django_db
def test_cancel_a_queued_job_returns_credits_and_stops_the_call(
    people, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)  # not yet submitted
    assert credits_available(org) == 12
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_job_cancel(job=job, user=people.member)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 20
    assert ProviderCall.objects.get(pk=job.call_id).status == "cancelled"
    with pytest.raises(DomainError, match="already finished"):
        services.edit_job_cancel(job=job, user=people.member)
    assert ledger_problems(org) == []


@pytest.mark.django_db
def test_the_same_form_submitted_twice_starts_one_job(people, org, fund, photo):
    fund(20)
    key = "5f1b1b1e-1111-4111-8111-111111111111"
    first = services.upscale_start(org=org, user=people.member, asset=photo, factor=2, key=key)
    second = services.upscale_start(org=org, user=people.member, asset=photo, factor=2, key=key)
    assert first.pk == second.pk
    assert EditJob.objects.count() == 1
    assert credits_available(org) == 12


@pytest.mark.django_db
def test_another_orgs_image_is_refused(people, org, fund):
    from assets.tests.factories import AssetFactory

    fund(20)
    theirs = AssetFactory(org=people.other_org)
    with pytest.raises(DomainError, match="isn't in this organisation"):
        services.upscale_start(org=org, user=people.member, asset=theirs, factor=2)


@pytest.mark.django_db
def test_videos_cannot_be_upscaled(people, org, fund, photo):
    fund(20)
    Asset.objects.filter(pk=photo.pk).update(kind=Asset.Kind.VIDEO)
    photo.refresh_from_db()
    with pytest.raises(DomainError, match="Only images"):
        services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
