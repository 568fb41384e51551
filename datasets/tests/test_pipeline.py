"""The pipeline end to end on the demo provider: plan → run → per-unit status → results in the
library, scored and captioned; a provider failure fails one unit only and refunds it; resume runs
only what failed; cancel stops the rest and returns its credits; nothing is paid twice."""

from __future__ import annotations

import pytest
from PIL import Image

from assets import storage
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from characters.models import Consent, DatasetImage
from core.exceptions import DomainError
from datasets import rules, runner, services
from datasets.models import BuildRun, BuildUnit, TargetPhoto
from providers.adapters import demo_video
from providers.adapters.base import ProviderError

PER_PHOTO = 18  # 9 swap + 8 enhance + 1 caption
N = 4  # body photos per build (conftest lowers the minimum to keep dlib's time down)


def _run(capture, build, **kwargs):
    with capture(execute=True):
        return services.run_start(build=build, user=build.created_by, **kwargs)


@pytest.mark.django_db
def test_prices_are_per_step_and_the_plan_shows_them_before_paying(make_build, full_limits):
    assert rules.steps_credits(rules.STEPS) == PER_PHOTO
    build = make_build(sources=3, targets=10)
    plan = services.plan(build)
    assert plan.ready, plan.problems
    assert (plan.swaps, plan.enhancements, plan.captions, plan.credits) == (10, 10, 10, 10 * PER_PHOTO)
    # Consent for the face is the photo path's record; rights to the bodies are kept with the build.
    consent = Consent.objects.get(character=build.character)
    assert consent.ip == "203.0.113.9"
    assert "written permission" in consent.text
    assert build.rights_email == build.created_by.email
    assert "body photos" in build.rights_text


@pytest.mark.django_db
def test_a_full_run_makes_scored_captioned_1024_results_and_charges_each_step_once(
    make_build, fund, django_capture_on_commit_callbacks
):
    build = make_build()
    fund(500)
    run = _run(django_capture_on_commit_callbacks, build)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.credits == N * PER_PHOTO
    units = BuildUnit.objects.filter(run=run)
    assert units.count() == 4 * N
    assert set(units.values_list("status", flat=True)) == {"succeeded"}
    assert Hold.objects.get(pk=run.hold_id).status == "captured"
    assert credits_available(build.org) == 500 - N * PER_PHOTO
    assert ledger_problems(build.org) == []
    trigger = build.character.trigger_word
    for target in build.targets.select_related("result", "source"):
        assert target.result is not None
        with storage.storage().open(target.result.original_key, "rb") as fh:
            assert Image.open(fh).size == (1024, 1024)
        assert target.caption.startswith(trigger)
        # The demo pasted person A's face onto person B's body: the result looks like the sources.
        assert target.identity is not None
        assert target.identity >= rules.DRIFT_SCORE, target.identity
        assert target.bucket in {"closeup", "half", "full", "variety"}
        assert target.demo
        assert target.result.recipe["operation"] == "dataset_build"
        assert {p.pk for p in target.result.parents.all()} == {target.asset_id, target.source.asset_id}
    # Full-body shots are padded so head and feet stay; the others are face-aware crops.
    rules_used = dict(build.targets.values_list("position", "crop_rule"))
    assert rules_used[2] == "padded"
    assert rules_used[0] == "face-crop"
    buckets = dict(build.targets.values_list("position", "bucket"))
    assert buckets[0] == "closeup"
    # Everything is done: nothing left to pay for.
    assert services.plan(build).credits == 0
    with pytest.raises(DomainError):
        services.run_start(build=build, user=build.created_by)


@pytest.mark.django_db
def test_a_provider_failure_fails_only_that_unit_refunds_it_and_resume_runs_only_it(
    make_build, fund, monkeypatch, django_capture_on_commit_callbacks
):
    build = make_build()
    fund(500)
    bad = build.targets.get(position=2)
    real = demo_video.face_swap

    def flaky(request_id, arguments):
        if str(bad.asset.public_id) in str(arguments["target_image"]):
            raise ProviderError("Simulated outage for this photo.")
        return real(request_id, arguments)

    monkeypatch.setattr(demo_video, "face_swap", flaky)
    run = _run(django_capture_on_commit_callbacks, build)
    run.refresh_from_db()
    assert run.status == "succeeded"  # partly: 9 of 10 photos
    assert "Resume" in run.error
    failed = BuildUnit.objects.get(run=run, target=bad, step="swap")
    assert failed.status == "failed"
    assert "Simulated outage" in failed.error
    later = BuildUnit.objects.filter(run=run, target=bad).exclude(step="swap")
    assert set(later.values_list("status", flat=True)) == {"cancelled"}
    assert all(u.error.startswith("Not run") for u in later)
    others = BuildUnit.objects.filter(run=run).exclude(target=bad)
    assert set(others.values_list("status", flat=True)) == {"succeeded"}
    assert credits_available(build.org) == 500 - (N - 1) * PER_PHOTO  # the failed photo's 18 came back

    # The plan now covers that one photo only; resume runs and pays only its units.
    monkeypatch.setattr(demo_video, "face_swap", real)
    assert services.plan(build).credits == PER_PHOTO
    resumed = _run(django_capture_on_commit_callbacks, build)
    resumed.refresh_from_db()
    assert resumed.kind == BuildRun.Kind.RESUME
    assert resumed.credits == PER_PHOTO
    assert set(BuildUnit.objects.filter(run=resumed).values_list("target_id", flat=True)) == {bad.pk}
    assert resumed.status == "succeeded", resumed.error
    assert credits_available(build.org) == 500 - N * PER_PHOTO  # nothing paid twice
    assert ledger_problems(build.org) == []


@pytest.mark.django_db
def test_cancel_mid_run_keeps_what_finished_and_returns_the_rest(make_build, fund, django_capture_on_commit_callbacks):
    build = make_build()
    fund(500)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.run_start(build=build, user=build.created_by)
    # Let only the first photo's chain through, then cancel.
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    first = build.targets.get(position=0)
    assert set(BuildUnit.objects.filter(run=run, target=first).values_list("status", flat=True)) == {"succeeded"}
    with django_capture_on_commit_callbacks(execute=True):
        services.run_cancel(run=run, user=build.created_by)
    run.refresh_from_db()
    assert run.status == "succeeded"  # one photo delivered, the rest cancelled
    rest = BuildUnit.objects.filter(run=run).exclude(target=first)
    assert set(rest.values_list("status", flat=True)) == {"cancelled"}
    assert credits_available(build.org) == 500 - PER_PHOTO
    assert ledger_problems(build.org) == []
    # A resume picks up exactly the cancelled photos.
    assert services.plan(build).credits == (N - 1) * PER_PHOTO


@pytest.mark.django_db
def test_without_enough_credits_nothing_starts(make_build, fund):
    build = make_build()
    fund(60)
    with pytest.raises(DomainError) as exc:
        services.run_start(build=build, user=build.created_by)
    assert str(N * PER_PHOTO) in exc.value.message
    assert "60" in exc.value.message
    assert not BuildRun.objects.exists()
    assert not BuildUnit.objects.exists()
    assert credits_available(build.org) == 60


@pytest.mark.django_db
def test_redo_uses_another_face_photo_and_seed_and_is_paid_once_more(
    make_build, fund, django_capture_on_commit_callbacks
):
    build = make_build()
    fund(500)
    _run(django_capture_on_commit_callbacks, build)
    target = build.targets.get(position=1)
    before_source, before_seed, before_result = target.source_id, target.seed, target.result_id
    with django_capture_on_commit_callbacks(execute=True):
        run = services.redo(target=target, user=build.created_by)
    run.refresh_from_db()
    target.refresh_from_db()
    assert run.kind == BuildRun.Kind.REDO
    assert run.credits == PER_PHOTO
    assert run.status == "succeeded"
    assert target.source_id != before_source
    assert target.seed != before_seed
    assert target.result_id != before_result
    assert target.review == TargetPhoto.Review.PENDING
    assert credits_available(build.org) == 500 - (N + 1) * PER_PHOTO


@pytest.mark.django_db
def test_review_buckets_captions_and_hand_over_to_the_character_dataset(
    make_build, fund, monkeypatch, django_capture_on_commit_callbacks
):
    build = make_build()
    fund(500)
    _run(django_capture_on_commit_callbacks, build)
    targets = list(build.targets.all())
    with pytest.raises(DomainError) as exc:
        services.hand_over(build=build, user=build.created_by)
    assert "20–30" in exc.value.message
    for target in targets:
        services.review_set(target=target, review="accepted")
    services.bucket_set(target=targets[0], bucket="variety")
    services.caption_edit(target=targets[1], text="standing by a striped wall", user=build.created_by)
    targets[1].refresh_from_db()
    assert targets[1].caption == f"{build.character.trigger_word} standing by a striped wall"
    with pytest.raises(DomainError):
        services.bucket_set(target=targets[0], bucket="nowhere")
    monkeypatch.setattr(services, "MIN_IMAGES", N)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.hand_over(build=build, user=build.created_by)
    assert count == N
    images = DatasetImage.objects.filter(character=build.character)
    assert images.count() == N
    first = images.get(asset=targets[0].result)
    assert first.bucket == "variety"
    assert images.get(asset=targets[1].result).caption.endswith("striped wall")
    assert set(images.values_list("analysis", flat=True)) == {"done"}  # the photo path's analysis ran


@pytest.mark.django_db
def test_caption_parse_reads_the_nsfw_line():
    assert runner.caption_parse("prsnabcd in a bikini on a beach\nNSFW: yes") == (
        "prsnabcd in a bikini on a beach",
        True,
    )
    assert runner.caption_parse("a portrait\nNSFW: no") == ("a portrait", False)
    assert runner.caption_parse("“a portrait”") == ("a portrait", False)
