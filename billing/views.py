from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import selectors
from billing.models import LedgerEntry
from billing.prices import prices_by_group
from core.http import OrgHttpRequest
from orgs.decorators import org_view

HISTORY_PAGE_SIZE = 50
KIND_FILTERS = [
    ("", "All"),
    (LedgerEntry.Kind.GRANT, "Grants"),
    (LedgerEntry.Kind.HOLD, "Holds"),
    (LedgerEntry.Kind.CAPTURE, "Charges"),
    (LedgerEntry.Kind.RELEASE, "Releases"),
    (LedgerEntry.Kind.ADJUSTMENT, "Adjustments"),
]


@require_GET
@org_view()
def credits(request: OrgHttpRequest) -> HttpResponse:
    """The credit history: balance, every grant, hold, charge and release, and the price list."""
    kind = request.GET.get("kind", "")
    if kind not in LedgerEntry.Kind.values:
        kind = ""
    page = Paginator(selectors.ledger_entries(request.org, kind=kind), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "billing/credits.html",
        {
            "summary": selectors.credit_summary(request.org),
            "page": page,
            "rows": selectors.history_rows(page),
            "kind": kind,
            "kind_label": dict(KIND_FILTERS)[kind],
            "kind_filters": KIND_FILTERS,
            "price_groups": prices_by_group(),
        },
    )
