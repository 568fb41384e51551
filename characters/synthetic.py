"""Adult content for synthetic characters (PRODUCT.md §9; issue #15 item 9).

A wizard character has no real person behind it, so no consent record can cover adult content.
Instead an owner of the organisation attests that it is fictional, an adult, and not made to
resemble a real person (``SyntheticAttestation``: who, when, from where, which text), and its face
must not match any real person the organisation has: the identity reference of a character made
from photos, or any of those characters' dataset photos (the photos their consent covers). A match
closer than ``identity.SAME_PERSON`` blocks adult content and says whom it looks like.

The check runs whenever adult content is asked for (``services.nsfw_permitted``), so a
real-person character added later, or a new identity reference, is taken into account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from characters import identity
from characters.models import Character, DatasetImage, SyntheticAttestation

ATTESTATION_VERSION = "2026-12"
ATTESTATION_TEXT = (
    "I confirm that this character is fictional: it was designed with the character wizard and does not "
    "depict a real person. It is an adult (18 or older) and will only be shown as one. I did not make it to "
    "resemble any real person, and I will not use it to depict one. I understand that adult content of it "
    "can only be made while my organisation allows adult content."
)


@dataclass(frozen=True)
class LikenessMatch:
    """The real person a synthetic character's face is closest to, when closer than SAME_PERSON."""

    character: Character
    distance: float
    source: str  # "reference" (their identity reference) or "photo" (one of their dataset photos)

    @property
    def score(self) -> int:
        return identity.score(self.distance)


def real_person_match(character: Character) -> LikenessMatch | None:
    """The closest real-person face in ``character``'s organisation, if it is the same person by
    dlib's threshold; None when none is. ``character`` must have an identity reference."""
    assert character.identity_embedding, "real_person_match needs an identity reference"
    reference = character.identity_embedding
    best: LikenessMatch | None = None
    real = Character.objects.for_org(character.org).filter(origin=Character.Origin.PHOTOS).exclude(pk=character.pk)
    for other in real.exclude(identity_embedding__isnull=True).only("id", "name", "identity_embedding"):
        d = identity.distance(reference, other.identity_embedding)
        if best is None or d < best.distance:
            best = LikenessMatch(other, d, "reference")
    photos = (
        DatasetImage.objects.filter(character__in=real, embedding__isnull=False)
        .select_related("character")
        .only("embedding", "character__id", "character__name")
    )
    for photo in photos:
        d = identity.distance(reference, photo.embedding)
        if best is None or d < best.distance:
            best = LikenessMatch(photo.character, d, "photo")
    return best if best is not None and best.distance < identity.SAME_PERSON else None


def attestation_current(character: Character) -> SyntheticAttestation | None:
    """The newest attestation for ``character`` in the current text version, if any."""
    return (
        SyntheticAttestation.objects.filter(character=character, text_version=ATTESTATION_VERSION)
        .select_related("user")
        .order_by("-created_at", "-id")
        .first()
    )


def synthetic_problems(character: Character, attestation: SyntheticAttestation | None) -> list[str]:
    """What keeps a wizard character from adult content besides the organisation's setting."""
    problems = []
    if attestation is None:
        problems.append(
            f"An owner must attest that {character.name} is fictional, an adult and not made to resemble a real "
            "person (below)."
        )
    if not character.identity_embedding:
        problems.append(
            f"{character.name} has no face to check yet. Choose a base image first: its face is compared with "
            "the real people in this organisation."
        )
    elif match := real_person_match(character):
        where = "the face model" if match.source == "reference" else "a training photo"
        problems.append(
            f"{character.name}'s face looks like {match.character.name}, a real person in this organisation "
            f"(likeness {match.score}/100 with {where}), so adult content can't be allowed. Choose another face."
        )
    return problems


@transaction.atomic
def attestation_record(
    *, character: Character, user: User, ip: str | None, user_agent: str = ""
) -> SyntheticAttestation:
    """Record that ``user`` attested the current text for the wizard character ``character``."""
    if character.origin != Character.Origin.WIZARD:
        raise ValueError("only wizard characters are attested; photo characters carry a consent record")
    return SyntheticAttestation.objects.create(
        org=character.org,
        character=character,
        user=user,
        user_email=user.email,
        ip=ip or None,
        user_agent=(user_agent or "")[:300],
        text_version=ATTESTATION_VERSION,
        text=ATTESTATION_TEXT,
    )
