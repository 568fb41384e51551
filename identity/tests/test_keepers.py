""" "Generate until N keepers": batches scored one after another, stopping at N keepers or at the
budget; spend per keeper; rejected images kept; the unused budget released; every refusal."""

import itertools
import re

import pytest

from billing.models import Hold
from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from core.jobs import JobStatus
from generation import packs
from generation.models import GenerationJob
from generation.packs import PackRecipe
from identity import keepers
from identity.keepers import KeepersAsk
from identity.models import KeepersRun

pytestmark = pytest.mark.django_db

DRAFT = 4  # credits an image


@pytest.fixture
def seeds(monkeypatch):
    """Seeds 2, 3, 4 …: with a pool of two photos, person A (even) and person B (odd) take turns."""
    counter = itertools.count(2)
    monkeypatch.setattr(packs, "_seeds", lambda first, count: [next(counter) for _ in range(count)])


def ask(wanted=3, threshold=50, budget=60, **recipe):
    return KeepersAsk(wanted=wanted, threshold=threshold, budget=budget, recipe=PackRecipe(**recipe))


def start(capture, character, user, the_ask):
    with capture(execute=True):
        run = keepers.keepers_start(character=character, user=user, ask=the_ask)
    run.refresh_from_db()
    return run


def test_it_makes_batches_until_three_keepers_and_releases_the_rest(
    ada_hd, people, org, fund, pool, seeds, django_capture_on_commit_callbacks
):
    pool("person-a-2", "person-b-1")
    fund(100)

    run = start(django_capture_on_commit_callbacks, ada_hd, people.member, ask(wanted=3, budget=60))

    assert run.status == JobStatus.SUCCEEDED
    batches = list(GenerationJob.objects.filter(keepers_batch__run=run).order_by("keepers_batch__position"))
    # 3 images (A, B, A: 2 keepers), then the 2 it takes at that pass rate for the last one (B, A).
    assert [b.count for b in batches] == [3, 2]
    assert all(b.origin == GenerationJob.Origin.KEEPERS and b.credits == 0 and b.hold is None for b in batches)
    images = keepers.run_images(run)
    kept = [i for i in images if keepers.is_keeper(i, run.threshold)]
    assert (len(images), len(kept), run.kept) == (5, 3, 3)
    assert (run.spent, run.spent_per_keeper) == (5 * DRAFT, 6.7)
    assert "3 keepers" in run.outcome
    assert "6.7 per keeper" in run.outcome
    # Rejected images stay in the library, scored.
    rejected = [i for i in images if i not in kept]
    assert all(i.asset is not None and i.asset.likeness < 50 for i in rejected)
    # The budget was held, what was delivered charged, and the rest released.
    assert (run.hold.status, run.hold.captured_amount) == (Hold.Status.CAPTURED, 20)
    assert credits_available(org) == 100 - 20
    assert ledger_problems(org) == []


def test_an_unreachable_threshold_stops_at_the_budget_and_suggests_one_from_the_data(
    ada_hd, people, org, fund, pool, seeds, django_capture_on_commit_callbacks
):
    pool("person-b-1", "person-b-2")  # never the character
    fund(100)

    run = start(django_capture_on_commit_callbacks, ada_hd, people.member, ask(wanted=2, threshold=60, budget=20))

    assert run.status == JobStatus.FAILED
    assert (run.kept, run.spent) == (0, 20)  # five images: all of the budget, no more
    assert "budget ran out" in run.outcome
    scores = sorted((i.asset.likeness for i in keepers.run_images(run)), reverse=True)
    assert f"a threshold of {scores[1]} would have kept 2" in run.outcome
    assert credits_available(org) == 80


def test_images_with_several_faces_are_never_keepers(
    ada_hd, people, org, fund, pool, seeds, django_capture_on_commit_callbacks
):
    pool("group-3-faces")  # person A is in it, with two others
    fund(100)
    run = start(django_capture_on_commit_callbacks, ada_hd, people.member, ask(wanted=1, threshold=1, budget=8))
    assert (run.status, run.kept) == (JobStatus.FAILED, 0)
    assert {i.asset.likeness_status for i in keepers.run_images(run)} == {"several_faces"}
    assert "No image had a single face" in run.outcome


def test_cancel_mid_run_charges_only_what_was_made(ada_hd, people, org, fund, pool, django_capture_on_commit_callbacks):
    pool("person-a-2")
    fund(100)
    with django_capture_on_commit_callbacks(execute=False):  # nothing reaches the provider
        run = keepers.keepers_start(character=ada_hd, user=people.member, ask=ask(wanted=3, budget=40))
        keepers.keepers_advance(keepers_id=run.pk)  # the first batch starts, its images queued
    assert credits_available(org) == 60
    batch = GenerationJob.objects.get(keepers_batch__run=run)
    assert batch.status == JobStatus.QUEUED

    keepers.keepers_cancel(run=run, user=people.member)

    run.refresh_from_db()
    batch.refresh_from_db()
    assert (run.status, batch.status) == (JobStatus.CANCELLED, JobStatus.CANCELLED)
    assert (run.spent, credits_available(org)) == (0, 100)
    assert "Cancelled by" in run.outcome
    with pytest.raises(DomainError, match="already finished"):
        keepers.keepers_cancel(run=run, user=people.member)


@pytest.mark.parametrize(
    ("the_ask", "field", "words"),
    [
        (ask(budget=3), "budget", "doesn't pay for one image (4 credits"),
        (ask(budget=7, quality="hq"), "budget", "(8 credits at this quality)"),
        (ask(wanted=0), "wanted", "1 to 50"),
        (ask(threshold=0), "threshold", "from 1 to 100"),
    ],
)
def test_it_refuses_what_cant_run_before_holding_anything(ada_hd, people, org, fund, pool, the_ask, field, words):
    pool("person-a-2")
    fund(100)
    with pytest.raises(DomainError, match=re.escape(words)) as refused:
        keepers.keepers_start(character=ada_hd, user=people.member, ask=the_ask)
    assert refused.value.field == field
    assert not KeepersRun.objects.exists()
    assert credits_available(org) == 100


def test_it_explains_a_missing_identity_reference(ada_hd, people, fund, pool):
    pool("person-a-2")
    fund(100)
    ada_hd.identity_embedding = None
    ada_hd.save()
    with pytest.raises(DomainError, match="no identity reference yet"):
        keepers.keepers_start(character=ada_hd, user=people.member, ask=ask())


def test_the_plain_demo_is_refused_up_front_because_its_images_arent_scored(ada_hd, people, fund):
    fund(100)
    with pytest.raises(DomainError, match="aren't scored for likeness"):
        keepers.keepers_start(character=ada_hd, user=people.member, ask=ask())
    assert not KeepersRun.objects.exists()


def test_not_enough_credits_for_the_budget_is_refused_with_the_numbers(ada_hd, people, fund, pool):
    pool("person-a-2")
    fund(10)
    with pytest.raises(DomainError, match="credits") as refused:
        keepers.keepers_start(character=ada_hd, user=people.member, ask=ask(budget=60))
    assert refused.value.field == "budget"


def test_the_default_threshold_comes_from_the_characters_own_scores(ada, face):
    assert keepers.default_threshold(ada).value == packs.IDENTITY_THRESHOLD  # too few scores yet
    from assets.models import Asset, Likeness

    for n, score in enumerate([55, 62, 70, 81, 90]):
        asset = face("person-a-2", title=f"a{n}")
        Asset.objects.filter(pk=asset.pk).update(character=ada, likeness=score, likeness_status=Likeness.SCORED)
    default = keepers.default_threshold(ada)
    assert default.value == 70
    assert "median" in default.note
