"""Character pages: ``profile`` (list, detail, edit, delete), ``photos`` (the photo path: dataset,
consent, check, training) and ``wizard`` (the no-photos path)."""

from __future__ import annotations

from django.utils import timezone

from characters.models import TrainingRun


def run_elapsed(run: TrainingRun) -> str:
    """How long a training run has taken so far (or took): "42 s", "4 min 12 s", "1 h 3 min"."""
    seconds = int(((run.finished_at or timezone.now()) - (run.started_at or run.created_at)).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
