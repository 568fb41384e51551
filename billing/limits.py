"""What each plan includes, checked where things are created, and the meters that show how much of
it an organisation uses (PRODUCT.md §6).

Limits only stop creating more: an organisation over a limit (after a downgrade, or a plan edited
in the admin) keeps everything it has. A refusal is a ``LimitReached`` naming the plan, the limit and
how many are used, with a link to the plan page.

Billing sits below the apps whose things it limits, so each check takes the count from its caller,
and the apps register how to count their own things (``counter_register``, in their ``ready()``)
for the meters. Seats are checked by ``orgs.services`` itself, one layer down. Past the grace date
of a failed payment the Free plan's limits apply (``billing.dunning.effective_plan``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from billing.dunning import effective_plan
from core.exceptions import LimitReached
from orgs import selectors as org_selectors

if TYPE_CHECKING:
    from orgs.models import Organization

CHARACTERS = "characters"
STORAGE = "storage"
JOBS = "jobs"

Counter = Callable[["Organization"], int]
_COUNTERS: dict[str, Counter] = {}


def counter_register(name: str, counter: Counter) -> None:
    """How an app counts what a limit is about (``CHARACTERS``, ``STORAGE`` in bytes, ``JOBS`` running)."""
    _COUNTERS[name] = counter


def plan_url(org: Organization) -> str:
    return reverse("orgs:billing", args=[org.slug])


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _bytes(n: int) -> str:
    return filesizeformat(n).replace("\xa0", " ")


# --- Checks ------------------------------------------------------------------------------------------


def characters_check(org: Organization, *, count: int) -> None:
    """Refuse a new character when the organisation has ``count`` and its plan includes no more."""
    plan = effective_plan(org)
    limit = plan.max_characters
    if limit is not None and count >= limit:
        raise LimitReached(
            f"Your {plan.name} plan includes {_n(limit, 'character')}; you have {count:,}. "
            "Upgrade to add more, or delete one.",
            url=plan_url(org),
        )


def storage_check(org: Organization, *, used: int, incoming: int) -> None:
    """Refuse ``incoming`` bytes when ``used`` (stored and on their way) plus them exceed the plan's storage."""
    quota = effective_plan(org).storage_bytes
    if used + incoming > quota:
        raise LimitReached(
            f"Your library is full: {_bytes(used)} of {_bytes(quota)} used, and this file is {_bytes(incoming)}. "
            "Delete files you no longer need, or upgrade your plan for more storage.",
            url=plan_url(org),
            link_text="upgrade your plan",
        )


def jobs_check(org: Organization, *, running: int) -> None:
    """Refuse starting a job while ``running`` jobs already fill the plan's concurrent-job slots."""
    plan = effective_plan(org)
    limit = plan.max_concurrent_jobs
    if running >= limit:
        raise LimitReached(
            f"Your {plan.name} plan runs {_n(limit, 'job')} at a time and {running:,} "
            f"{'is' if running == 1 else 'are'} running. Start this when one finishes, or upgrade to run more "
            "at once. Nothing was charged.",
            url=plan_url(org),
            link_text="upgrade",
        )


def queue_priority(org: Organization | None) -> int:
    """The Celery priority of an organisation's provider work: paid plans' jobs go ahead of Free
    ones in every queue (0 is taken first). The one place it is decided; ``providers.gateway``
    asks it whenever it enqueues a call's task."""
    if org is None:
        return settings.CELERY_PRIORITY_PAID  # staff and system work, never held back
    return settings.CELERY_PRIORITY_FREE if effective_plan(org).is_free else settings.CELERY_PRIORITY_PAID


# --- Meters ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """How much of one limit is used; ``limit`` None means unlimited."""

    key: str
    label: str
    used: int
    limit: int | None
    in_bytes: bool = False

    @property
    def percent(self) -> int:
        if self.limit is None:
            return 0
        if not self.limit:
            return 100
        return min(100, round(self.used * 100 / self.limit))

    @property
    def full(self) -> bool:
        """Nothing more can be created under this limit (at it, or over it after a downgrade)."""
        return self.limit is not None and self.used >= self.limit

    @property
    def level(self) -> str:
        """The bar's colour: "danger" when full, "warning" from 80%."""
        if self.full:
            return "danger"
        return "warning" if self.percent >= 80 else ""

    @property
    def summary(self) -> str:
        """What it reads as: "2 of 3", "1.2 GB of 50 GB", "4 · unlimited"."""
        used = _bytes(self.used) if self.in_bytes else f"{self.used:,}"
        if self.limit is None:
            return f"{used} · unlimited"
        return f"{used} of {_bytes(self.limit) if self.in_bytes else f'{self.limit:,}'}"


def _count(name: str, org: Organization) -> int:
    counter = _COUNTERS.get(name)
    return counter(org) if counter else 0


def plan_meters(org: Organization) -> list[Meter]:
    """Characters, storage, seats and running jobs against the organisation's plan."""
    plan = effective_plan(org)
    seats = org_selectors.seat_usage(org)
    return [
        Meter(CHARACTERS, "Characters", _count(CHARACTERS, org), plan.max_characters),
        Meter(STORAGE, "Storage", _count(STORAGE, org), plan.storage_bytes, in_bytes=True),
        Meter("seats", "Seats", seats["used"], seats["total"]),
        Meter(JOBS, "Jobs running", _count(JOBS, org), plan.max_concurrent_jobs),
    ]
