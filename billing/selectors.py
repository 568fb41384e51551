"""Org-scoped reads of the credits ledger, shaped for the pages that show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from billing.models import LOW_CREDIT_THRESHOLD, CreditAccount, LedgerEntry

if TYPE_CHECKING:
    from orgs.models import Organization

# Below this many available credits the header pill turns into a warning.
LOW_CREDITS = 20


@dataclass(frozen=True)
class CreditSummary:
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held

    @property
    def is_low(self) -> bool:
        return self.available < LOW_CREDITS


def credit_summary(org: Organization) -> CreditSummary:
    """Balance and held credits in one query; zeros for an organisation with no account yet."""
    row = CreditAccount.objects.filter(org_id=org.pk).values_list("balance", "held").first()
    return CreditSummary(*(row or (0, 0)))


def low_credit_threshold(org: Organization) -> int:
    """Available credits below which owners and admins get an email; 0: never."""
    threshold = CreditAccount.objects.filter(org_id=org.pk).values_list("low_credit_threshold", flat=True).first()
    return LOW_CREDIT_THRESHOLD if threshold is None else threshold


def ledger_entries(org: Organization, *, kind: str = "") -> QuerySet[LedgerEntry]:
    """The organisation's ledger, newest first, with what the history page shows of each entry."""
    entries = LedgerEntry.objects.filter(org_id=org.pk)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.select_related("actor", "hold__created_by").prefetch_related("hold__subject").order_by("-id")


KIND_BADGES: dict[str, str] = {
    LedgerEntry.Kind.GRANT: "badge-success",
    LedgerEntry.Kind.HOLD: "badge-warning",
    LedgerEntry.Kind.CAPTURE: "badge-accent",
}


@dataclass(frozen=True)
class HistoryRow:
    """One ledger entry as a person reads it."""

    entry: LedgerEntry

    @property
    def badge(self) -> str:
        return KIND_BADGES.get(self.entry.kind, "")

    @property
    def credits(self) -> int:
        """The size of the change to the balance; the template prints the sign."""
        return abs(self.entry.amount)

    @property
    def who(self) -> str:
        entry = self.entry
        if entry.kind == LedgerEntry.Kind.ADJUSTMENT or (entry.kind == LedgerEntry.Kind.RELEASE and entry.actor_id):
            return "Personae support"  # staff names stay internal
        user = self.entry.actor or (self.entry.hold.created_by if self.entry.hold else None)
        if user:
            return user.display_name
        return "Personae" if self.entry.kind == LedgerEntry.Kind.GRANT else ""

    @property
    def job_url(self) -> str:
        subject = self.entry.hold.subject if self.entry.hold else None
        get_url = getattr(subject, "get_absolute_url", None)
        return get_url() if get_url else ""

    @property
    def held_note(self) -> str:
        """The change to held credits, in words: "held 8", "released 8", or for a partial charge
        the part that went back."""
        entry = self.entry
        if entry.kind == LedgerEntry.Kind.HOLD:
            return f"held {entry.held_delta:,}"
        if entry.kind == LedgerEntry.Kind.RELEASE:
            return f"released {-entry.held_delta:,}"
        if entry.kind == LedgerEntry.Kind.CAPTURE and (rest := -entry.held_delta + entry.amount) > 0:
            return f"released {rest:,}"
        return ""


def history_rows(entries) -> list[HistoryRow]:
    return [HistoryRow(entry) for entry in entries]
