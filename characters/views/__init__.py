"""Character pages: ``profile`` (list, detail, edit, delete), ``photos`` (the photo path: dataset,
consent, check, training) and ``wizard`` (the no-photos path)."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from characters.models import Character, DatasetImage, TrainingRun
from core.http import OrgHttpRequest


def character_or_404(request: OrgHttpRequest, public_id) -> Character:
    """The org's character with this id; 404 for another org's or a missing one (same answer)."""
    character = (
        Character.objects.for_org(request.org)
        .select_related("avatar", "base_image", "lora_asset", "created_by")
        .filter(public_id=public_id)
        .first()
    )
    if character is None:
        raise Http404("No such character.")
    return character


def dataset_image_or_404(character: Character, image_id) -> DatasetImage:
    image = (
        DatasetImage.objects.for_org(character.org)
        .filter(character=character, public_id=image_id)
        .select_related("asset", "character__org")
        .first()
    )
    if image is None:
        raise Http404("That photo isn't in this dataset any more.")
    return image


def training_run_or_404(character: Character, run_id) -> TrainingRun:
    run = (
        TrainingRun.objects.for_org(character.org)
        .filter(character=character, public_id=run_id)
        .select_related("call", "character")
        .first()
    )
    if run is None:
        raise Http404("No such training run.")
    return run


def run_elapsed(run: TrainingRun) -> str:
    """How long a training run has taken so far (or took): "42 s", "4 min 12 s", "1 h 3 min"."""
    seconds = int(((run.finished_at or timezone.now()) - (run.started_at or run.created_at)).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
