"""Settings → Audit log: who did what in the organisation, for its owners and admins."""

from __future__ import annotations

import csv
from datetime import UTC
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit import actions, selectors
from core.http import OrgHttpRequest
from orgs.decorators import org_view
from orgs.models import Role

PAGE_SIZE = 50
CSV_HEADER = [
    "time (UTC)",
    "who",
    "actor kind",
    "action",
    "action code",
    "summary",
    "target",
    "target id",
    "IP",
    "browser",
]


@require_GET
@org_view(Role.ADMIN)
def audit_log(request: OrgHttpRequest) -> HttpResponse:
    filters = selectors.filters_from(request.GET)
    page = Paginator(selectors.org_entries(request.org, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(filters.query())
    return render(
        request,
        "orgs/audit_log.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "action_choices": actions.choices(),
            "actors": selectors.org_actors(request.org),
            "retention_days": settings.AUDIT_LOG_RETENTION_DAYS,
        },
    )


class _Echo:
    def write(self, value):
        return value


@require_GET
@org_view(Role.ADMIN)
def audit_log_csv(request: OrgHttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed: a long history doesn't sit in memory."""
    filters = selectors.filters_from(request.GET)
    entries = selectors.org_entries(request.org, filters)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_HEADER)
        for e in entries.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    e.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor_email,
                    e.actor_kind,
                    e.action_label,
                    e.action,
                    e.summary,
                    e.target_type,
                    e.target_id,
                    e.ip or "",
                    e.user_agent,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.org.slug}-audit-log.csv"'
    return response
