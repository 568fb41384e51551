"""The job centre: every job of the organisation, of every kind, with filters, live progress, an
ETA, the credits, a link to the result, and cancel or retry where the kind allows."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from core.http import OrgHttpRequest
from core.refusals import refusals_as_messages
from jobs import selectors, services
from orgs.decorators import org_view
from orgs.models import Role
from orgs.selectors import members_for_org, membership_get


def _filter(request: OrgHttpRequest) -> tuple[selectors.JobFilter, list[str]]:
    """The filters asked for, and what couldn't be understood (each then shows everything)."""
    problems = []
    kind = request.GET.get("kind", "")
    if kind and kind not in selectors.job_kinds():
        problems.append(f"There is no kind of job called “{kind[:40]}”, so jobs of every kind are shown.")
        kind = ""
    status = request.GET.get("status", "")
    status = status if status in selectors.STATUSES else ""
    period = request.GET.get("period", "")
    period = period if period in selectors.PERIODS else ""
    who = None
    wanted = request.GET.get("who", "")
    if wanted == "me":
        who = request.user
    elif wanted:
        member = membership_get(request.org, wanted) if _is_uuid(wanted) else None
        if member is None:
            problems.append("That person isn't a member of this organisation, so everyone's jobs are shown.")
        else:
            who = member.user
    before = parse_datetime(request.GET.get("before", "")) if request.GET.get("before") else None
    return selectors.JobFilter(kind=kind, status=status, who=who, period=period, before=before), problems


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@require_GET
@org_view()
def centre(request: OrgHttpRequest):
    where, problems = _filter(request)
    page = selectors.job_page(request.org, where)
    context = {
        "page": page,
        "where": where,
        "who": request.GET.get("who", ""),
        "kinds": selectors.job_kinds(),
        "members": members_for_org(request.org).select_related("user"),
        "problems": problems,
        "query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "job-rows":
        response = render(request, "jobs/centre.html#job-rows", context)
        if not page.any_active:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "jobs/centre.html", context)


@require_POST
@org_view(Role.MEMBER)
def cancel(request: OrgHttpRequest, kind: str, public_id):
    job = selectors.job_get(request.org, kind, public_id)
    with refusals_as_messages(request):
        services.job_cancel(job=job, user=request.user)
        messages.success(request, f"{job.centre_title()} cancelled. Credits not used are available again.")
    return _back(request)


@require_POST
@org_view(Role.MEMBER)
def retry(request: OrgHttpRequest, kind: str, public_id):
    job = selectors.job_get(request.org, kind, public_id)
    with refusals_as_messages(request):
        new = services.job_retry(job=job, user=request.user)
        messages.success(request, f"{new.centre_title()} queued again.")
    return _back(request)


def _back(request: OrgHttpRequest):
    """Back to the job centre as it was filtered."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("jobs:centre", request.org.slug)
