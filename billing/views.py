from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from billing import selectors, services
from billing.forms import LowCreditAlertForm
from billing.models import LedgerEntry, Plan
from billing.overview import billing_overview
from billing.prices import prices_by_group
from core.exceptions import DomainError
from core.htmx import render_page
from core.http import OrgHttpRequest
from core.refusals import refusals_as_messages
from orgs import selectors as org_selectors
from orgs import services as org_services
from orgs.decorators import org_view
from orgs.models import Role

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


@require_http_methods(["GET", "POST"])
@org_view()
def plans(request: OrgHttpRequest) -> HttpResponse:
    """The organisation's plan and seats, and the public plans its owner can move to."""
    if request.method == "POST":
        plan = Plan.objects.filter(slug=request.POST.get("plan"), is_public=True).first()
        if plan is None:
            raise Http404
        with refusals_as_messages(request):
            org_services.org_select_plan(org=request.org, actor=request.membership, plan=plan)
            messages.success(request, f"{request.org.name} is on the {plan.name} plan.")
        return redirect("orgs:billing", request.org.slug)
    return render(
        request,
        "billing/plans.html",
        {
            "plans": Plan.objects.filter(is_public=True),
            "seats": org_selectors.seat_usage(request.org),
            **billing_overview(request.org),
        },
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.ADMIN)
def low_credit_alert(request: OrgHttpRequest) -> HttpResponse:
    """The low-credit email's threshold, shown on the Billing page; this page only when saving it
    without HTMX went wrong, to show the error next to what was typed."""
    threshold = selectors.low_credit_threshold(request.org)
    form = LowCreditAlertForm(request.POST or None, initial={"threshold": threshold})
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.low_credit_threshold_set(
                org=request.org, actor=request.membership, threshold=form.cleaned_data["threshold"]
            )
        except DomainError as e:
            form.add_error("threshold", e.message)
        else:
            threshold, saved = form.cleaned_data["threshold"], True
            if not request.htmx:
                messages.success(request, _low_credit_saved(threshold))
                return redirect("orgs:billing", request.org.slug)
            form = LowCreditAlertForm(initial={"threshold": threshold})
    return render_page(
        request,
        "billing/low_credit_alert.html",
        {"form": form, "threshold": threshold, "saved": _low_credit_saved(threshold) if saved else ""},
        partials=("low-credit-alert",),
        status=400 if form.errors else 200,
    )


def _low_credit_saved(threshold: int) -> str:
    if threshold == 0:
        return "Saved. The low-credit email is off."
    return f"Saved. Owners and admins get an email when available credits fall below {threshold:,}."
