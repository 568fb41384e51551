""" "Generate until N keepers" (issue #25): N images of a character that pass a likeness threshold,
under a credit budget.

Starting holds the whole budget on a ``KeepersRun`` (``jobs.engine.job_start``). The run then
makes small packs (``KeepersBatch``; at most ``KEEPERS_BATCH_SIZE`` images, fewer when it needs
fewer or the budget is nearly spent) whose images are paid from that hold: each image is scored in
the identity queue, and when a batch's images are all settled and scored, ``keepers_advance``
counts the keepers and starts the next batch or finishes. It finishes when N have passed, or when
what is left of the budget can't pay for one more image; then it captures what was delivered and
releases the rest. Rejected images stay in the library and on the run's page.

Locks: the run, then (through ``generation.packs``) a batch's pack and its images, then the hold.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assets.models import Asset, Likeness
from billing.services import InsufficientCredits
from characters.models import Character
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import packs, presets, routing
from generation.models import GenerationImage, GenerationJob
from identity.models import KeepersBatch, KeepersRun
from jobs import engine
from providers import registry
from providers.adapters import demo_faces

MAX_WANTED = 50
HISTORY = 200  # the character's latest scored images the default threshold is taken from
MIN_HISTORY = 5


@dataclass(frozen=True)
class DefaultThreshold:
    value: int
    note: str


def default_threshold(character: Character) -> DefaultThreshold:
    """The median likeness of the character's latest scored images (at least dlib's same-person
    50); 50 until it has a few."""
    scores = [
        score
        for score in Asset.objects.filter(character=character, likeness_status=Likeness.SCORED)
        .order_by("-likeness_scored_at")
        .values_list("likeness", flat=True)[:HISTORY]
        if score is not None
    ]
    if len(scores) < MIN_HISTORY:
        return DefaultThreshold(
            packs.IDENTITY_THRESHOLD,
            f"dlib's same-person line: {character.name} has too few scored images for their own yet",
        )
    median = round(statistics.median(scores))
    value = max(packs.IDENTITY_THRESHOLD, median)
    return DefaultThreshold(value, f"the median of {character.name}'s last {len(scores)} scored images ({median})")


@dataclass
class KeepersAsk:
    wanted: int
    threshold: int
    budget: int
    recipe: packs.PackRecipe


def refusal(character: Character, ask: KeepersAsk) -> DomainError | None:
    """Why this run can't start, with what to do instead; None if it can."""
    if not character.identity_embedding:
        return DomainError(
            f"{character.name} has no identity reference yet, so no image can be measured against it. "
            "Compute it from their photos or chosen face first.",
            field="identity",
        )
    route = routing.route(character, quality=ask.recipe.quality)
    if registry.resolve(route.operation)[0] == "demo" and not demo_faces.pool():
        return DomainError(
            "No AI provider is configured, so images come from the demo provider: labelled placeholders that "
            "aren't scored for likeness, so none could ever pass. Configure a provider (FAL_KEY) to use keepers.",
            field="wanted",
        )
    if not 1 <= ask.wanted <= MAX_WANTED:
        return DomainError(f"Ask for 1 to {MAX_WANTED} keepers.", field="wanted")
    if not 1 <= ask.threshold <= 100:
        return DomainError("A likeness threshold is a score from 1 to 100.", field="threshold")
    price = _price(ask.recipe)
    if ask.budget < price:
        return DomainError(
            f"A budget of {ask.budget:,} credits doesn't pay for one image ({price:,} credits at this quality). "
            f"Raise it to at least {price:,}.",
            field="budget",
        )
    if ask.budget > settings.KEEPERS_MAX_BUDGET:
        return DomainError(f"A run can hold at most {settings.KEEPERS_MAX_BUDGET:,} credits.", field="budget")
    ask.recipe.count = 1  # each batch sets its own size
    if problems := packs.recipe_problems(character, ask.recipe):
        name, message = next(iter(problems.items()))
        return DomainError(message, field=name)
    return None


def _price(recipe: packs.PackRecipe) -> int:
    return packs.price_per_image(recipe.quality, clothing=recipe.clothing is not None)


def _recipe_json(recipe: packs.PackRecipe) -> dict:
    return {
        "scene": recipe.scene,
        "environment": recipe.environment,
        "outfit": recipe.outfit,
        "aspect_ratio": recipe.aspect_ratio,
        "quality": recipe.quality,
        "nsfw": recipe.nsfw,
        "prompt_text": recipe.prompt_text,
    }


def _recipe_of(run: KeepersRun) -> packs.PackRecipe:
    r = run.recipe
    return packs.PackRecipe(
        scene=r["scene"],
        environment=r["environment"],
        outfit=r["outfit"],
        aspect_ratio=r["aspect_ratio"],
        quality=r["quality"],
        nsfw=r["nsfw"],
        prompt_text=r["prompt_text"],
    )


def keepers_start(
    *, character: Character, user: User | None, ask: KeepersAsk, threshold_note: str = "", key: str = ""
) -> KeepersRun:
    """Hold ``ask.budget`` and start the first batch (after commit). Raises ``DomainError``."""
    if problem := refusal(character, ask):
        raise problem
    price = _price(ask.recipe)

    def refuse(exc: InsufficientCredits) -> DomainError:
        return DomainError(exc.refusal(f"A budget of {ask.budget:,} credits"), field="budget")

    with transaction.atomic():
        run, created = engine.job_start_created(
            KeepersRun,
            org=character.org,
            user=user,
            key=key,
            credits=ask.budget,
            operation=presets.QUALITIES_BY_KEY[ask.recipe.quality].operation,
            hold_description=f"Up to {ask.wanted} keepers of “{character.name}” (budget)",
            refusal=refuse,
            character=character,
            character_name=character.name,
            wanted=ask.wanted,
            threshold=ask.threshold,
            threshold_note=threshold_note[:200],
            recipe=_recipe_json(ask.recipe),
            price_per_image=price,
        )
        if created:
            run_id = run.pk
            transaction.on_commit(lambda: _advance_later(run_id))
    return run


def _advance_later(run_id: int) -> None:
    from identity import tasks

    tasks.keepers_advance.delay(run_id)


# --- Moving on ----------------------------------------------------------------------------------------


def run_images(run: KeepersRun) -> list[GenerationImage]:
    return list(
        GenerationImage.objects.filter(job__keepers_batch__run=run)
        .select_related("asset", "job")
        .order_by("job__keepers_batch__position", "position")
    )


def is_keeper(image: GenerationImage, threshold: int) -> bool:
    asset = image.asset
    return (
        image.status == JobStatus.SUCCEEDED
        and asset is not None
        and asset.likeness_status == Likeness.SCORED
        and asset.likeness is not None
        and asset.likeness >= threshold
    )


def keepers_advance(*, keepers_id: int) -> None:
    """With the run locked: wait while a batch is running or being scored; then finish, or start
    the next batch. A repeated call changes nothing."""
    with transaction.atomic():
        run = engine.job_lock(KeepersRun, keepers_id, "org", "character")
        if run.status not in ACTIVE:
            return
        if GenerationJob.objects.filter(keepers_batch__run=run, status__in=ACTIVE).exists():
            return
        images = run_images(run)
        if run.character is not None and any(
            i.asset and i.asset.likeness_status in ("", Likeness.PENDING) for i in images
        ):
            return  # still being scored: the last score moves it on
        delivered = sum(1 for i in images if i.status == JobStatus.SUCCEEDED)
        run.spent = delivered * run.price_per_image
        run.kept = sum(1 for i in images if is_keeper(i, run.threshold))
        run.save(update_fields=["spent", "kept", "updated_at"])
        if run.kept >= run.wanted:
            _finish(run, JobStatus.SUCCEEDED, outcome=_done_words(run))
            return
        left = run.credits - run.spent
        if left < run.price_per_image:
            _finish(run, JobStatus.SUCCEEDED if run.kept else JobStatus.FAILED, outcome=_budget_words(run, images))
            return
        if run.character is None:
            _finish(run, JobStatus.FAILED, outcome="The character was deleted, so no more images can be made.")
            return
        _batch_start(run, images, left)


def _batch_size(run: KeepersRun, images: list[GenerationImage], left: int) -> int:
    """Enough for the keepers still missing at the pass rate so far (all of them at first), in
    small batches, within the budget left."""
    missing = run.wanted - run.kept
    delivered = [i for i in images if i.status == JobStatus.SUCCEEDED]
    rate = run.kept / len(delivered) if delivered else 1.0
    want = math.ceil(missing / max(rate, 0.25))
    return max(1, min(want, settings.KEEPERS_BATCH_SIZE, left // run.price_per_image))


def _batch_start(run: KeepersRun, images: list[GenerationImage], left: int) -> None:
    character = run.character
    assert character is not None
    recipe = _recipe_of(run)
    recipe.count = _batch_size(run, images, left)
    position = run.batches.count()
    try:
        pack = packs.pack_start(
            character=character,
            user=run.created_by,
            recipe=recipe,
            key=f"keepers:{run.public_id}:{position}",
            origin=GenerationJob.Origin.KEEPERS,
            counts=range(1, settings.KEEPERS_BATCH_SIZE + 1),
            prepaid=True,
        )
    except DomainError as exc:
        _finish(run, JobStatus.SUCCEEDED if run.kept else JobStatus.FAILED, outcome=f"Stopped: {exc.message}")
        return
    KeepersBatch.objects.get_or_create(run=run, pack=pack, defaults={"position": position})
    if run.status == JobStatus.QUEUED:
        engine.job_running(KeepersRun, run.pk)


def _finish(run: KeepersRun, status: str, *, outcome: str, error: str = "") -> None:
    engine.job_finish(
        run,
        status,
        error or ("" if status == JobStatus.SUCCEEDED else outcome),
        charge=run.spent,
        outcome=outcome,
        spent=run.spent,
        kept=run.kept,
    )


def _credits(n: int) -> str:
    return f"{n:,} credit{'s' if n != 1 else ''}"


def _done_words(run: KeepersRun) -> str:
    return (
        f"{run.kept} keeper{'s' if run.kept != 1 else ''} at likeness {run.threshold} or more, for "
        f"{_credits(run.spent)} ({run.spent_per_keeper} per keeper). "
        f"{_credits(run.credits - run.spent)} of the budget were released."
    )


def suggestion(run: KeepersRun, images: list[GenerationImage]) -> str:
    """A threshold the data says would have reached the keepers asked for (or the closest)."""
    scores = sorted(
        (i.asset.likeness for i in images if i.asset and i.asset.likeness is not None),
        reverse=True,
    )
    if not scores:
        return (
            "No image had a single face that could be scored; check the scene (close-ups score best) "
            "and the identity reference."
        )
    if len(scores) >= run.wanted:
        at = scores[run.wanted - 1]
        return f"The best {run.wanted} scored {', '.join(map(str, scores[: run.wanted]))}: a threshold of {at} would have kept {run.wanted}."
    return (
        f"Only {len(scores)} image{'s' if len(scores) != 1 else ''} had a scorable face (best {scores[0]}); "
        f"a threshold of {scores[-1]} keeps all of them, or raise the budget."
    )


def _budget_words(run: KeepersRun, images: list[GenerationImage]) -> str:
    got = f"{run.kept} of {run.wanted} keepers" if run.kept else f"none of the {run.wanted} keepers"
    per = f" ({run.spent_per_keeper} per keeper)" if run.kept else ""
    return (
        f"The budget ran out with {got} at likeness {run.threshold} or more: {_credits(run.spent)} spent{per}. "
        f"{suggestion(run, images)}"
    )


def keepers_advance_for_asset(*, asset_id: int) -> None:
    """A scored image: move its keepers run, if it belongs to one."""
    run_id = (
        KeepersBatch.objects.filter(pack__images__asset_id=asset_id, run__status__in=ACTIVE)
        .values_list("run_id", flat=True)
        .first()
    )
    if run_id is not None:
        keepers_advance(keepers_id=run_id)


def keepers_advance_for_pack(*, pack_id: int) -> None:
    """A settled pack (its failed images are scored by no one): move its keepers run."""
    run_id = (
        KeepersBatch.objects.filter(pack_id=pack_id, run__status__in=ACTIVE).values_list("run_id", flat=True).first()
    )
    if run_id is not None:
        _advance_later(run_id)


def keepers_sweep(*, stale_after: timedelta = timedelta(minutes=5)) -> int:
    """Runs left waiting by a lost task: their images still "scoring" a while after delivery are
    scored again, then each run is looked at again. Returns how many runs it looked at."""
    from identity import tasks

    ids = list(KeepersRun.objects.filter(status__in=ACTIVE).values_list("pk", flat=True)[:200])
    stale = Asset.objects.filter(
        likeness_status=Likeness.PENDING,
        created_at__lt=timezone.now() - stale_after,
        pk__in=GenerationImage.objects.filter(job__keepers_batch__run_id__in=ids).values("asset_id"),
    ).values_list("pk", "character_id")
    for asset_id, character_id in stale:
        tasks.asset_score.delay(asset_id, character_id)
    for run_id in ids:
        keepers_advance(keepers_id=run_id)
    return len(ids)


# --- What people do ---------------------------------------------------------------------------------


def keepers_cancel(*, run: KeepersRun, user: User | None) -> None:
    """Stop: images not yet made are cancelled; the ones delivered are charged, the rest released."""
    with transaction.atomic():
        locked = engine.job_lock(KeepersRun, run.pk, "org", "character")
        if locked.status not in ACTIVE:
            raise DomainError("This run has already finished.")
        for pack in GenerationJob.objects.filter(keepers_batch__run=locked, status__in=ACTIVE):
            packs.pack_cancel(job=pack, user=user)
        images = run_images(locked)
        locked.spent = sum(1 for i in images if i.status == JobStatus.SUCCEEDED) * locked.price_per_image
        locked.kept = sum(1 for i in images if is_keeper(i, locked.threshold))
        reason = engine.cancelled_by(user)
        _finish(
            locked,
            JobStatus.CANCELLED,
            outcome=f"{reason} {locked.kept} of {locked.wanted} keepers; {_credits(locked.spent)} spent, the rest released.",
            error=reason,
        )
    run.status = locked.status
