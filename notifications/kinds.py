"""The kinds of notification a person can choose to get by email too, for the preferences page.

Apps register theirs (``kind_register`` in their ``ready()``): the job engine one per kind of job,
billing's low-credit warning here. A kind nobody registered is still delivered in the app and, by
default, by email.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    description: str
    email_default: bool = True


_KINDS: dict[str, Kind] = {}

LOW_CREDITS = "low_credits"


def kind_register(key: str, label: str, description: str = "", *, email_default: bool = True) -> Kind:
    kind = Kind(key=key, label=label, description=description, email_default=email_default)
    _KINDS[key] = kind
    return kind


def kinds() -> list[Kind]:
    """Every registered kind, jobs by name first, low credits last."""
    return sorted(_KINDS.values(), key=lambda k: (k.key == LOW_CREDITS, k.label.lower()))


def kind_get(key: str) -> Kind | None:
    return _KINDS.get(key)


kind_register(
    LOW_CREDITS,
    "Low credits",
    "When the organisation's credits fall below its alert threshold (owners and admins).",
)
