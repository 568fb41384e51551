"""Reading the audit log: an organisation's entries, filtered as its audit page asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from audit import actions
from audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""  # an actor's email, or "system" / "staff"
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.action or self.actor or self.since or self.until)

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for paging and the CSV link."""
        params = {"action": self.action, "actor": self.actor}
        params["since"] = self.since.isoformat() if self.since else ""
        params["until"] = self.until.isoformat() if self.until else ""
        return {k: v for k, v in params.items() if v}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None


def filters_from(params: Any) -> AuditFilters:
    """Read the filters from a query string; anything malformed is left out rather than refused."""
    action = params.get("action", "")
    return AuditFilters(
        action=action if action in actions.LABELS else "",
        actor=params.get("actor", "").strip()[:254],
        since=_day(params.get("since", "")),
        until=_day(params.get("until", "")),
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def org_entries(org, filters: AuditFilters | None = None) -> QuerySet[AuditEntry]:
    """``org``'s entries, newest first, narrowed by ``filters``."""
    entries = AuditEntry.objects.for_org(org)
    f = filters or AuditFilters()
    if f.action:
        entries = entries.filter(action=f.action)
    if f.actor == "system":
        entries = entries.filter(actor_kind=AuditEntry.ActorKind.SYSTEM)
    elif f.actor == "staff":
        entries = entries.filter(actor_kind=AuditEntry.ActorKind.STAFF)
    elif f.actor:
        entries = entries.filter(actor_email__iexact=f.actor, actor_kind=AuditEntry.ActorKind.USER)
    if f.since:
        entries = entries.filter(created_at__gte=_start_of(f.since))
    if f.until:
        entries = entries.filter(created_at__lt=_start_of(f.until + timedelta(days=1)))
    return entries.order_by("-created_at", "-id")


def org_actors(org) -> list[str]:
    """The emails of everyone who appears as an actor in ``org``'s log (former members too)."""
    return list(
        AuditEntry.objects.for_org(org)
        .filter(actor_kind=AuditEntry.ActorKind.USER)
        .exclude(actor_email="")
        .order_by("actor_email")
        .values_list("actor_email", flat=True)
        .distinct()
    )


def org_deleted_entry(*, slug: str, user_id: int) -> AuditEntry | None:
    """The record that the organisation at ``slug`` was deleted, if ``user_id`` was one of its
    members then: how a late "undo" learns, in plain words, that the organisation is gone."""
    return (
        AuditEntry.objects.filter(action=actions.ORG_DELETED, data__slug=slug, data__member_ids__contains=[user_id])
        .order_by("-created_at")
        .first()
    )
