"""The identity score of every generated image (PRODUCT.md §3): how much its face looks like the
character, 0–100, from ``characters.identity``. Runs in the worker right after the image is stored;
the score goes on the image (the Studio's tile) and into the asset's recipe (the library)."""

from __future__ import annotations

import logging

from django.db import transaction

from assets.models import Asset
from characters import identity
from generation.models import GenerationImage

log = logging.getLogger(__name__)


def image_score(*, image_id: int) -> int | None:
    """Score one delivered image; a repeated run changes nothing. None when the character has no
    identity reference, the image no face or is a demo render, or the image or character is gone."""
    image = GenerationImage.objects.select_related("asset", "job__character").filter(pk=image_id, scored=False).first()
    if image is None or image.asset is None:
        return None
    character = image.job.character
    score = None
    # A demo render pastes the reference face in: comparing it with itself would claim a likeness
    # no model achieved, so it isn't scored (the tile says "Demo · not scored").
    if character is not None and character.identity_embedding and not image.asset.is_placeholder:
        try:
            score = identity.identity_score(image.asset, character)
        except (FileNotFoundError, identity.UnreadablePhoto):
            log.warning("generated image %s couldn't be read for scoring", image.pk)
    with transaction.atomic():
        if not GenerationImage.objects.filter(pk=image.pk, scored=False).update(identity_score=score, scored=True):
            return score
        asset = None
        if image.asset_id is not None:
            asset = Asset.objects.select_for_update().filter(pk=image.asset_id).first()
        if asset is not None:
            recipe = asset.metadata.get("recipe") or {}
            recipe["identity_score"] = score
            asset.metadata = {**asset.metadata, "recipe": recipe}
            asset.save(update_fields=["metadata"])
    return score
