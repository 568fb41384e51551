import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.http import OrgHttpRequest
from orgs.decorators import org_view
from orgs.models import Role
from usage import charts, selectors


def _days(request: OrgHttpRequest) -> int:
    try:
        days = int(request.GET.get("days", ""))
    except ValueError:
        return selectors.WINDOWS[0]
    return days if days in selectors.WINDOWS else selectors.WINDOWS[0]


@require_GET
@org_view(Role.ADMIN)
def usage(request: OrgHttpRequest) -> HttpResponse:
    """Where the organisation's credits went, and what the providers billed behind them."""
    days = _days(request)
    report = selectors.org_usage(request.org, days=days)
    breakdowns = [
        ("operation", "By operation", "Operation", charts.shares(report.by_operation)),
        ("character", "By character", "Character", charts.shares(report.by_character)),
        ("member", "By member", "Member", charts.shares(report.by_member)),
    ]
    return render(
        request,
        "usage/usage.html",
        {
            "report": report,
            "days": days,
            "windows": selectors.WINDOWS,
            "chart": charts.daily_chart(report.daily),
            "breakdowns": breakdowns,
        },
    )


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


@require_GET
@org_view(Role.ADMIN)
def usage_daily_csv(request: OrgHttpRequest) -> HttpResponse:
    days = _days(request)
    report = selectors.org_usage(request.org, days=days)
    return _csv(
        f"{request.org.slug}-credits-by-day-{days}d.csv",
        ["date", "credits"],
        ((day.isoformat(), credits) for day, credits in report.daily),
    )


@require_GET
@org_view(Role.ADMIN)
def usage_operations_csv(request: OrgHttpRequest) -> HttpResponse:
    days = _days(request)
    report = selectors.org_usage(request.org, days=days)
    return _csv(
        f"{request.org.slug}-credits-by-operation-{days}d.csv",
        ["operation", "label", "charges", "credits"],
        ((row.key, row.label, row.charges, row.credits) for row in report.by_operation),
    )
