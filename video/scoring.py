"""Likeness of an animation's frames: the swapped and refined frame's face against the character's
identity reference (dlib, ``characters.identity``), written on the step and into the frame's recipe."""

from __future__ import annotations

from django.db import transaction

from assets.models import Asset
from characters import identity
from video.models import AnimateStep


def step_score(step_id: int) -> None:
    step = AnimateStep.objects.select_related("result", "pipeline__character").get(pk=step_id)
    character = step.pipeline.character
    if step.result is None or character is None or "identity_score" in step.params:
        return
    score = identity.identity_score(step.result, character)
    with transaction.atomic():
        locked = AnimateStep.objects.select_for_update().get(pk=step_id)
        locked.params = {**locked.params, "identity_score": score, "scored": True}
        locked.save(update_fields=["params", "updated_at"])
        asset = Asset.objects.select_for_update().get(pk=step.result.pk)
        recipe = {**(asset.recipe or {}), "identity_score": score}
        Asset.objects.filter(pk=asset.pk).update(metadata={**asset.metadata, "recipe": recipe})
