"""Org-scoped reads for characters: the one way a page or the API fetches a character, a dataset
photo or a training run by its public id."""

from __future__ import annotations

from characters.models import Character, DatasetImage, TrainingRun
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
