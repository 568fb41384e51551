"""Identity writes: computing a character's identity reference on request (then scoring its images
again)."""

from __future__ import annotations

from django.db import transaction

from assets.models import Asset
from assets.storage import storage
from characters import identity as faces
from characters.models import Character
from core.exceptions import DomainError
from identity import scoring

MOST_PHOTOS = 30


def _single_face_embeddings(assets: list[Asset]) -> list[list[float]]:
    found = []
    for asset in assets:
        try:
            with storage().open(asset.variants.get("preview") or asset.original_key, "rb") as fh:
                analysed = faces.analyse(fh)
        except (FileNotFoundError, faces.UnreadablePhoto):
            continue
        if len(analysed) == 1:
            found.append(analysed[0].embedding)
    return found


def reference_compute(*, character: Character) -> int:
    """Compute ``character``'s identity reference from its training photos, else its chosen face,
    then score its images against it again. Returns how many photos it was made from. Raises
    ``DomainError`` when none shows exactly one face."""
    photos = [d.asset for d in character.dataset.select_related("asset")[:MOST_PHOTOS]]
    source = "dataset"
    if not photos and character.base_image is not None:
        photos, source = [character.base_image], "base"
    if not photos:
        raise DomainError(
            f"{character.name} has no training photos and no chosen face to compute a reference from. Add photos "
            "on the dataset page, or choose a face in the wizard."
        )
    if photos[0].is_placeholder:
        raise DomainError(
            f"{character.name}'s chosen face is a demo placeholder, not a photo, so there is no face to measure."
        )
    embeddings = _single_face_embeddings(photos)
    if not embeddings:
        raise DomainError(
            f"None of {character.name}'s {len(photos)} photo{'s' if len(photos) != 1 else ''} shows exactly one "
            "clear face, so no reference could be computed. Add close-up photos with one face."
        )
    with transaction.atomic():
        faces.reference_set(character, embeddings, source=source)
        scoring.character_rescore(character=character)
    return len(embeddings)
