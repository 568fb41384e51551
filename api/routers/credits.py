"""The credit balance and its history (the ledger), by API key with the billing:read scope."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from api.auth import caller, scoped
from api.errors import ErrorOut
from api.models import Scope
from billing import selectors

router = Router(tags=["credits"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


class BalanceOut(Schema):
    balance: int
    held: int = Field(description="Set aside for jobs still running.")
    available: int


class EntryOut(Schema):
    id: int
    kind: str
    amount: int = Field(description="Change to the balance (negative when spent).")
    held_delta: int
    balance_after: int
    description: str
    created_at: datetime


class HistoryPage(Schema):
    items: list[EntryOut]
    next_before: int | None = Field(description="Pass as ?before= for older entries; null at the end.")


class HistoryFilters(Schema):
    kind: str = Field("", description="grant, hold, capture, release, adjustment … ('' for all)")
    before: int | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("", auth=scoped(Scope.BILLING_READ), response={200: BalanceOut, **ERRORS}, summary="Credit balance")
def balance(request: HttpRequest):
    """Scope: billing:read."""
    who = caller(request)
    summary = selectors.credit_summary(who.org)
    return {"balance": summary.balance, "held": summary.held, "available": summary.available}


@router.get("history", auth=scoped(Scope.BILLING_READ), response={200: HistoryPage, **ERRORS}, summary="Credit history")
def history(request: HttpRequest, filters: Query[HistoryFilters]):
    """The ledger, newest first. Scope: billing:read."""
    who = caller(request)
    entries = selectors.ledger_entries(who.org, kind=filters.kind)
    if filters.before:
        entries = entries.filter(id__lt=filters.before)
    rows = list(entries[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return {
        "items": [
            {
                "id": e.pk,
                "kind": e.kind,
                "amount": e.amount,
                "held_delta": e.held_delta,
                "balance_after": e.balance_after,
                "description": e.description,
                "created_at": e.created_at,
            }
            for e in rows
        ],
        "next_before": rows[-1].pk if more and rows else None,
    }
