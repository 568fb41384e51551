"""Org-scoped reads for characters: the one way a page or the API fetches a character, a dataset
photo or a training run by its public id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from characters.models import Character, DatasetImage, TrainingRun
from core.jobs import ACTIVE, JobStatus
from core.lookups import one_or_404
from orgs.models import Organization


def characters_count(org: Organization) -> int:
    """What the plan's character limit counts."""
    return Character.objects.for_org(org).count()


def character_or_404(org: Organization, public_id) -> Character:
    """The org's character with this id; 404 for another org's, a missing one or a malformed id."""
    return one_or_404(
        Character.objects.for_org(org).select_related("org", "avatar", "base_image", "lora_asset", "created_by"),
        public_id,
        "No such character.",
    )


def dataset_image_or_404(character: Character, image_id) -> DatasetImage:
    """A photo in ``character``'s dataset; 404 for any other (or a malformed id)."""
    return one_or_404(
        DatasetImage.objects.for_org(character.org)
        .filter(character=character)
        .select_related("asset", "character__org"),
        image_id,
        "That photo isn't in this dataset any more.",
    )


def training_run_or_404(character: Character, run_id) -> TrainingRun:
    """One of ``character``'s training runs; 404 for any other (or a malformed id)."""
    return one_or_404(
        TrainingRun.objects.for_org(character.org).filter(character=character).select_related("call", "character"),
        run_id,
        "No such training run.",
    )


# Without finished runs to learn from: a typical face-model training, queue included.
TYPICAL_TRAINING_SECONDS = 20 * 60
# How many recent successful runs the estimate is the median of.
ETA_SAMPLE = 20


@dataclass(frozen=True)
class TrainingEta:
    finish_at: datetime | None  # None once the run has ended
    seconds_left: int | None
    basis: str  # what the estimate rests on, in words


def training_eta(run: TrainingRun, *, now: datetime | None = None) -> TrainingEta:
    """When ``run`` should be done: its start (or now, while queued) plus the median duration of the
    last successful runs (any organisation's: only durations are read), else a typical duration."""
    now = now or timezone.now()
    if run.status not in ACTIVE:
        return TrainingEta(None, None, "finished")
    rows = (
        TrainingRun.objects.filter(status=JobStatus.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:ETA_SAMPLE]
    )
    durations = sorted((finished - started).total_seconds() for started, finished in rows if started and finished)
    if durations:
        typical = durations[len(durations) // 2]
        basis = f"the median of the last {len(durations)} successful training run{'s' if len(durations) != 1 else ''}"
    else:
        typical, basis = TYPICAL_TRAINING_SECONDS, "a typical training time"
    start = run.started_at or now
    finish = max(start + timedelta(seconds=typical), now)
    return TrainingEta(finish, int((finish - now).total_seconds()), basis)


def latest_training_run(character: Character) -> TrainingRun | None:
    return TrainingRun.objects.for_org(character.org).filter(character=character).select_related("call").first()
