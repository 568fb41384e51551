"""The minors screen as one pipeline (PRODUCT.md §9: characters are adults, always): normalise
(``safety.normalise``) → rules (``safety.rules``) → a moderation call for what the rules can't
decide → a ``Decision`` that says what was found, where, and what to change.

The moderator is injected: this app sits below ``providers`` and can't call a model itself.
``providers`` registers one at start-up (``moderator_register``) that asks the configured LLM;
with no LLM configured there is none. The screen asks it only when the caller says a model may be
called from where it runs (``moderate=True``: the gateway's submit in the worker, never a web
request, ARCHITECTURE.md §1) and only about uncertain findings.

What an uncertain finding ("girl", "high school", "teen years") becomes:

- the moderator says allow or refuse, and that stands;
- no moderator here (a web request, or none configured) or it failed: refused in adult content
  (fail closed), let through otherwise. A web request with a moderator configured lets it through
  to the gateway, whose screen asks the moderator before anything is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from core.exceptions import DomainError
from safety import rules
from safety.normalise import has_foreign_letters, normalise

log = logging.getLogger(__name__)

Verdict = Literal["allow", "refuse", "uncertain"]

LABELS = {
    "age": "an age under 18",
    "minor_word": "a word for a child or teenager",
    "school": "a school year, grade or pupil",
    "youthful": "wording that can describe someone under 18",
    "moderation": "a person under 18, according to the safety check",
}
ADVICE = {
    "age": "Give an age of 18 or more, or leave the age out.",
    "minor_word": "Describe an adult instead, for example “a woman” or “a 25-year-old man”.",
    "school": "Leave out school years, grades and pupils, and describe an adult instead.",
    "youthful": "In adult content, describe the person as a woman or a man (an age of 18 or more helps) instead.",
    "moderation": "Describe an adult instead, for example “a woman” or “a 25-year-old man”.",
}


@dataclass(frozen=True)
class Decision:
    """The screen's answer for one text. ``rule`` and ``matched`` (the words as the person typed
    them) say what decided it; ``normalised`` is the span as the rules read it; ``decided_by`` is
    ``rules``, ``moderation`` or ``policy`` (an uncertain finding settled without a moderator)."""

    verdict: Verdict
    text: str = ""
    rule: str = ""
    matched: str = ""
    normalised: str = ""
    decided_by: str = "rules"
    reason: str = ""

    @property
    def refused(self) -> bool:
        return self.verdict == "refuse"

    def message(self, subject: str = "Prompts") -> str:
        """What the person reads: what was refused, why, and what to change."""
        quoted = self.matched.strip() or self.normalised
        why = f": “{quoted}” reads as {LABELS.get(self.rule, LABELS['minor_word'])}" if quoted else ""
        if self.rule == "moderation" and self.reason:
            why = f": the safety check read it as describing someone under 18 ({self.reason})"
        return (
            f"{subject} can't mention children or anyone under 18{why}. Characters are adults, always. "
            f"{ADVICE.get(self.rule, ADVICE['minor_word'])}"
        )


ALLOW = Decision("allow")


class MinorsRefused(DomainError):
    """Text named or implied a minor. ``decision`` says what and where; ``field`` is the form field."""

    def __init__(self, decision: Decision, field: str | None = None, subject: str = "Prompts", hint: str = ""):
        self.decision = decision
        self.matched = decision.matched
        super().__init__(f"{decision.message(subject)} {hint}".strip(), field=field)


# --- The moderator (injected by ``providers``) --------------------------------------------------------


@dataclass(frozen=True)
class Moderation:
    """A moderator's answer: ``minor`` True when the text describes or implies someone under 18."""

    minor: bool
    reason: str = ""


class ModerationUnavailable(Exception):
    """The moderator couldn't answer (no provider, an error, an answer we couldn't read)."""


@dataclass
class _Moderator:
    function: Callable[..., Moderation] | None = None
    available: Callable[[], bool] = field(default=lambda: False)


_moderator = _Moderator()


def moderator_register(function: Callable[..., Moderation], *, available: Callable[[], bool]) -> None:
    """Make ``function(text, *, nsfw, org_id) -> Moderation`` the moderator. It raises
    ``ModerationUnavailable`` when it can't answer; ``available()`` says whether it is configured."""
    _moderator.function = function
    _moderator.available = available


def moderator_available() -> bool:
    return _moderator.function is not None and _moderator.available()


# --- The pipeline ----------------------------------------------------------------------------------


def rules_decide(text: str, *, nsfw: bool = False, today: date | None = None) -> Decision:
    """Normalise and apply the rules to one text: ``refuse`` for a certain finding, ``uncertain`` for
    one the rules can't settle (in adult content, or one that matters everywhere), else ``allow``."""
    decision = _decide(text, nsfw=nsfw, today=today, transliterate=False)
    if decision.verdict != "refuse" and has_foreign_letters(text):
        spelled = _decide(text, nsfw=nsfw, today=today, transliterate=True)
        if _SEVERITY[spelled.verdict] > _SEVERITY[decision.verdict]:
            return spelled
    return decision


_SEVERITY = {"allow": 0, "uncertain": 1, "refuse": 2}


def _decide(text: str, *, nsfw: bool, today: date | None, transliterate: bool) -> Decision:
    norm = normalise(text, transliterate=transliterate)
    found = rules.findings(norm.text, today=today)
    certain = [f for f in found if f.certain]
    uncertain = [f for f in found if not f.certain and (nsfw or not f.adult_content_only)]
    chosen = certain[0] if certain else (uncertain[0] if uncertain else None)
    if chosen is None:
        return ALLOW
    start, end = chosen.start, chosen.end
    while end > start and not norm.text[end - 1].isalnum() and norm.text[end - 1] not in ")]":
        end -= 1  # a rule's pattern may end on the space or comma after the words
    return Decision(
        "refuse" if chosen.certain else "uncertain",
        text=text,
        rule=chosen.rule,
        matched=norm.original_span(start, end).strip(),
        normalised=norm.text[start:end],
    )


def screen(
    texts: Iterable[str] | str, *, nsfw: bool = False, moderate: bool = False, org_id: int | None = None
) -> Decision:
    """The first refusal among ``texts`` (blank ones skipped), else ``ALLOW``. See the module
    docstring for what an uncertain finding becomes."""
    texts = [texts] if isinstance(texts, str) else [t for t in texts if t]
    uncertain = []
    for text in texts:
        decision = rules_decide(text, nsfw=nsfw)
        if decision.refused:
            return decision
        if decision.verdict == "uncertain":
            uncertain.append(decision)
    if not uncertain:
        return ALLOW
    first = uncertain[0]
    if moderate and moderator_available():
        assert _moderator.function is not None
        try:
            answer = _moderator.function("\n".join(texts), nsfw=nsfw, org_id=org_id)
        except ModerationUnavailable as exc:
            log.warning("moderation unavailable (%s); %s", exc, "refusing adult content" if nsfw else "allowing")
        else:
            if answer.minor:
                return Decision(
                    "refuse",
                    text=first.text,
                    rule="moderation",
                    matched=first.matched,
                    normalised=first.normalised,
                    decided_by="moderation",
                    reason=answer.reason[:200],
                )
            return ALLOW
    elif not moderate and moderator_available() and nsfw:
        return ALLOW  # the gateway asks the moderator before the request goes out
    if nsfw:
        return Decision(
            "refuse",
            text=first.text,
            rule=first.rule,
            matched=first.matched,
            normalised=first.normalised,
            decided_by="policy",
        )
    return ALLOW
