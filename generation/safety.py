"""Prompts that mention minors are refused outright (PRODUCT.md §9): typed in the Studio, written by
the prompt generator, described from a reference, or sent to the API. Each refusal is kept as a
``SafetyRefusal`` row and logged, so staff can see who tried what.

The screen is deliberately blunt: words for children, school ages and ages under 18. A false
positive costs the person a rephrase; a false negative is not acceptable.
"""

from __future__ import annotations

import logging
import re

from accounts.models import User
from core.exceptions import DomainError
from generation.models import SafetyRefusal
from orgs.models import Organization

log = logging.getLogger(__name__)

_WORDS = [
    r"child(?:ren|ish|like)?",
    r"kids?",
    r"kiddies?",
    r"toddlers?",
    r"infants?",
    r"bab(?:y|ies)[- ]faced",
    r"pre-?teens?",
    r"teen(?:s|age|aged|ager|agers)?",
    r"tweens?",
    r"under-?age(?:d)?",
    r"under\s*18",
    r"minors?",
    r"school\s*(?:girl|boy|kid|child)s?",
    r"(?:little|young)\s+(?:girl|boy)s?",
    r"lolis?",
    r"lolita",
    r"shotas?",
    r"jail\s*bait",
    r"(?:elementary|primary|middle|junior\s+high)\s+school(?:er)?",
    r"high\s*schooler",
    r"(?:[1-9]|1[0-7])\s*(?:-|\s)?(?:y/?o|yrs?|years?(?:\s*-?\s*old)?|year-old)",
]
_PATTERN = re.compile(r"(?<![\w-])(?:" + "|".join(_WORDS) + r")(?![\w])", re.IGNORECASE)

MESSAGE = (
    "Prompts can't mention children or anyone under 18 (“{matched}”). Characters are adults, always. "
    "Change the wording and try again."
)


class MinorsRefused(DomainError):
    """A prompt named or implied a minor."""

    def __init__(self, matched: str, field: str | None = None):
        self.matched = matched
        super().__init__(MESSAGE.format(matched=matched), field=field)


def first_match(text: str) -> str | None:
    """The first words in ``text`` that mention a minor, or None."""
    found = _PATTERN.search(text or "")
    return found.group(0) if found else None


def prompt_screen(
    texts: list[str] | str,
    *,
    org: Organization,
    user: User | None,
    where: str,
    field: str | None = None,
) -> None:
    """Refuse (``MinorsRefused``) if any of ``texts`` mentions a minor; record the refusal for staff.

    Call it before opening a transaction, so the record isn't rolled back with the caller's work.
    """
    for text in [texts] if isinstance(texts, str) else texts:
        matched = first_match(text)
        if matched is None:
            continue
        SafetyRefusal.objects.create(org=org, user=user, where=where, text=text[:4000], matched=matched[:100])
        log.warning("refused a prompt naming a minor (%r) in org %s from %s", matched, org.pk, where)
        raise MinorsRefused(matched, field=field)
