"""Where generation asks whether a character may be used by another organisation (likeness
licences, ``licensing/``, issue #22).

``licensing`` sits above generation (it starts licensed packs through ``generation.packs``), so
generation can't import it: it registers its checker here at startup instead, and generation calls
the checker at the three moments a licence matters — a pack starting, an image about to be
delivered, an image delivered. With no checker registered (or a character used by its own
organisation) nothing changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assets.models import Asset
    from characters.models import Character
    from generation.models import GenerationImage, GenerationJob
    from orgs.models import Organization


class LicenceChecker(Protocol):
    def pack_refusal(self, *, org: Organization, character: Character, nsfw: bool, count: int, use: str) -> str:
        """Why ``org`` may not start this pack of ``character``'s images; "" when it may."""

    def pack_started(self, *, job: GenerationJob, use: str) -> None:
        """Record the licence a pack runs under (in the pack's start transaction)."""

    def use_of(self, *, job: GenerationJob) -> str:
        """The use (personal, commercial, advertising) a licensed pack was started for."""

    def image_refusal(self, *, job: GenerationJob) -> str:
        """Why the pack's next image may not be delivered now (the licence was revoked, the month's
        limit was reached); "" when it may. Called with the job locked."""

    def image_delivered(self, *, job: GenerationJob, image: GenerationImage, asset: Asset) -> None:
        """An image of a licensed pack reached the library (the royalty accrues)."""

    def recipe(self, *, job: GenerationJob) -> dict:
        """What a licensed image's recipe records about its licence; {} for an unlicensed one."""


_checker: LicenceChecker | None = None

# The provider-input marker for a licensed character's LoRA, in the creator's storage; licensing
# registers its resolver (``providers.inputs``), which resolves it only for a pack under a licence.
LICENSED_KEY = "$licensed_key"


def register(checker: LicenceChecker) -> None:
    global _checker
    _checker = checker


def checker(job_or_org_id: int | None, character: Character | None) -> LicenceChecker | None:
    """The checker when ``character`` is used by another organisation than its own, else None."""
    if _checker is None or character is None or job_or_org_id == character.org_id:
        return None
    return _checker
