"""The job engine on its own terms: start (key, hold, refusal, build), settle (capture exactly once,
partial charges, release), the output guard, and typed handler registration. Concrete jobs here are
upscales (``EditJob``), the simplest kind; every other kind runs the same functions."""

import pytest

from assets import media
from billing.models import Hold
from billing.services import InsufficientCredits, credits_available, ledger_problems
from core.exceptions import DomainError
from core.jobs import JobStatus
from generation.models import EditJob
from jobs import engine
from providers import handlers, outputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db


def _start(org, user, key="", credits=8, **kwargs):
    return engine.job_start(
        EditJob,
        org=org,
        user=user,
        key=key,
        credits=credits,
        operation="upscale",
        hold_description="Test upscale",
        kind=EditJob.Kind.UPSCALE,
        params={"factor": 2},
        **kwargs,
    )


def test_it_reserves_the_credits_and_keys_the_hold_to_the_job(org, people, fund):
    fund(20)
    job = _start(org, people.member)

    assert job.status == JobStatus.QUEUED
    assert job.created_by == people.member
    assert job.hold.amount == 8
    assert job.hold.idempotency_key == f"edit:{job.public_id}"
    assert credits_available(org) == 12


def test_a_repeated_key_returns_the_first_job_and_holds_once(org, people, fund):
    fund(20)
    first, created = engine.job_start_created(
        EditJob,
        org=org,
        user=people.member,
        key="form-1",
        credits=8,
        operation="upscale",
        hold_description="x",
        kind=EditJob.Kind.UPSCALE,
    )
    again, created_again = engine.job_start_created(
        EditJob,
        org=org,
        user=people.member,
        key="form-1",
        credits=8,
        operation="upscale",
        hold_description="x",
        kind=EditJob.Kind.UPSCALE,
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Hold.objects.filter(org=org).count() == 1
    assert credits_available(org) == 12


def test_short_credits_are_refused_in_the_domains_words_and_nothing_is_kept(org, people, fund):
    fund(5)
    with pytest.raises(DomainError) as refused:
        _start(org, people.member, refusal=lambda exc: DomainError(exc.refusal("This upscale")))

    assert refused.value.message == "This upscale needs 8 credits and you have 5 available."
    assert not EditJob.objects.exists()
    assert credits_available(org) == 5


def test_without_a_refusal_it_raises_insufficient_credits(org, people, fund):
    fund(1)
    with pytest.raises(InsufficientCredits):
        _start(org, people.member)
    assert not EditJob.objects.exists()


def test_a_failing_build_rolls_the_whole_start_back(org, people, fund):
    fund(20)

    def build(job):
        raise DomainError("The source vanished.")

    with pytest.raises(DomainError):
        _start(org, people.member, build=build)

    assert not EditJob.objects.exists()
    assert not Hold.objects.exists()
    assert credits_available(org) == 20


def test_finishing_captures_all_on_success_and_only_once(org, people, fund):
    fund(20)
    job = _start(org, people.member)
    locked = engine.job_lock(EditJob, job.pk)
    engine.job_finish(locked, JobStatus.SUCCEEDED)
    engine.job_finish(locked, JobStatus.SUCCEEDED)  # a repeated settle changes nothing

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.finished_at is not None
    assert Hold.objects.get(pk=job.hold_id).status == Hold.Status.CAPTURED
    assert credits_available(org) == 12
    assert ledger_problems(org) == []


@pytest.mark.parametrize(
    ("status", "charge", "available", "hold_status"),
    [
        (JobStatus.FAILED, None, 20, Hold.Status.RELEASED),
        (JobStatus.CANCELLED, None, 20, Hold.Status.RELEASED),
        (JobStatus.SUCCEEDED, 3, 17, Hold.Status.CAPTURED),  # part delivered: part charged
        (JobStatus.CANCELLED, 3, 17, Hold.Status.CAPTURED),  # cancelled after some arrived
        (JobStatus.SUCCEEDED, 0, 20, Hold.Status.RELEASED),
    ],
)
def test_it_charges_what_was_delivered_and_releases_the_rest(org, people, fund, status, charge, available, hold_status):
    fund(20)
    job = _start(org, people.member)
    engine.job_finish(engine.job_lock(EditJob, job.pk), status, "Stopped.", charge=charge)

    assert credits_available(org) == available
    assert Hold.objects.get(pk=job.hold_id).status == hold_status
    assert ledger_problems(org) == []


def test_finish_if_active_leaves_a_settled_job_alone(org, people, fund):
    fund(20)
    job = _start(org, people.member)
    assert engine.job_finish_if_active(EditJob, job.pk, JobStatus.CANCELLED, "Cancelled.") is not None
    assert engine.job_finish_if_active(EditJob, job.pk, JobStatus.FAILED, "Too late.") is None
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.CANCELLED, "Cancelled.")


def test_running_moves_only_a_queued_job(org, people, fund):
    fund(20)
    job = _start(org, people.member)
    assert engine.job_running(EditJob, job.pk)
    assert not engine.job_running(EditJob, job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.started_at is not None


@pytest.mark.parametrize(
    ("call_status", "error", "expected"),
    [
        ("succeeded", "", (JobStatus.SUCCEEDED, "")),
        ("cancelled", "", (JobStatus.CANCELLED, "Cancelled.")),
        ("failed", "image_url: field required", (JobStatus.FAILED, "image_url: field required")),
        ("failed", "", (JobStatus.FAILED, "The provider failed without saying why.")),
    ],
)
def test_a_finished_call_reads_as_a_job_outcome(call_status, error, expected):
    assert engine.call_outcome(ProviderCall(status=call_status, error=error)) == expected


@pytest.mark.parametrize(
    ("raised", "last_attempt", "failed_with"),
    [
        (outputs.HeldBack("Held back."), False, ("Held back.", "safety_checker")),
        (ProviderError("Expired link."), False, ("Expired link.", "provider_output")),
        (ProviderError("Busy.", transient=True), True, ("Busy.", "provider_output")),
        (
            media.MediaError("not an image", "unreadable"),
            False,
            ("The provider's result wasn't a usable image: not an image", "bad_output"),
        ),
        (engine.Unusable("No clothes found.", "nothing_found"), False, ("No clothes found.", "nothing_found")),
    ],
)
def test_the_output_guard_fails_the_job_in_plain_words(raised, last_attempt, failed_with):
    failures = []
    guard = engine.OutputGuard(lambda *args: failures.append(args), last_attempt=last_attempt)
    with guard:
        raise raised
    assert guard.failed
    assert failures == [failed_with]


def test_the_output_guard_lets_a_transient_error_through_for_a_retry():
    guard = engine.OutputGuard(lambda *args: pytest.fail("must not fail the job"), last_attempt=False)
    with pytest.raises(ProviderError), guard:
        raise ProviderError("Busy.", transient=True)
    assert not guard.failed


def test_the_output_guard_does_not_swallow_programming_errors():
    guard = engine.OutputGuard(lambda *args: pytest.fail("must not fail the job"), last_attempt=True)
    with pytest.raises(KeyError), guard:
        raise KeyError("bug")


def test_every_job_kind_registers_its_handler_by_name():
    assert {
        "generation.upscale",
        "generation.edit",
        "generation.pack_image",
        "generation.prompt_draft",
        "characters.training_run",
        "characters.job_item",
    } <= set(handlers._HANDLERS)


def test_a_name_cannot_be_taken_by_another_handler():
    def other(call, event, *, last_attempt):
        pass

    with pytest.raises(ValueError, match="already registered"):
        handlers.register("generation.upscale", other)


def test_a_call_with_an_unknown_handler_says_so():
    with pytest.raises(handlers.UnknownHandler, match=r"'nobody\.here'"):
        handlers.dispatch(ProviderCall(handler="nobody.here"), "finished", last_attempt=True)


def test_input_markers_resolve_to_what_the_provider_reads_and_unknown_ones_fail(org, people, media_root):
    from assets.tests.factories import AssetFactory
    from providers import inputs

    asset = AssetFactory(org=org, filename="look.jpg", size=(64, 48))
    demo_call = ProviderCall(org=org, provider="demo")
    resolved = inputs.resolve(demo_call, {"image_url": {"$asset": str(asset.public_id)}, "steps": [1, {"x": 2}]})
    assert resolved == {"image_url": f"storage:{asset.original_key}", "steps": [1, {"x": 2}]}

    other_org_call = ProviderCall(org=people.other_org, provider="demo")
    with pytest.raises(ProviderError, match="deleted before the provider could read it"):
        inputs.resolve(other_org_call, {"image_url": {"$asset": str(asset.public_id)}})
    with pytest.raises(ProviderError, match="isn't in this organisation's storage"):
        inputs.resolve(other_org_call, {"lora": {"$key": asset.original_key}})
    with pytest.raises(ProviderError, match="input marker '\\$asset_typo'"):
        inputs.resolve(demo_call, {"image_url": {"$asset_typo": "x"}})
