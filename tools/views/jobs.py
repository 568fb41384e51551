"""The Tools page, and tool jobs in the browser: watch one (progress, ETA, before/after), cancel
it, retry it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from billing.prices import OPERATION_PRICES
from billing.services import InsufficientCredits
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Role
from tools import selectors, services
from tools.models import ToolJob


@require_GET
@org_view()
def home(request: OrgHttpRequest):
    """Tools: what each does and costs, where to start, and the latest runs."""
    return render(
        request,
        "tools/home.html",
        {
            "jobs": selectors.latest_runs(request.org),
            "grade_credits": services.tool_credits(ToolJob.Kind.GRADE),
            "audio_credits": services.tool_credits(ToolJob.Kind.AUDIO),
            "roto_per_minute": OPERATION_PRICES["rotoscoping"].credits,
        },
    )


@require_GET
@org_view()
def job(request: OrgHttpRequest, public_id):
    return render(request, "tools/job.html", {"job": selectors.tool_job_or_404(request.org, public_id)})


@require_GET
@org_view()
def job_card(request: OrgHttpRequest, public_id):
    """The live status card, polled while the job runs; 286 stops the polling once it ends."""
    job = selectors.tool_job_or_404(request.org, public_id)
    compact = bool(request.GET.get("compact"))
    response = render(request, "tools/_job_card.html", {"job": job, "compact": compact})
    if not job.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        if not compact:  # on the job page, the result appears next to its source
            response.write(render_to_string("tools/job.html#job-pair", {"job": job, "oob": True}, request))
    return response


@require_POST
@org_view(Role.MEMBER)
def job_cancel(request: OrgHttpRequest, public_id):
    job = selectors.tool_job_or_404(request.org, public_id)
    with refusals_as_messages(request):
        services.tool_cancel(job=job, user=request.user)
        messages.success(request, f"{job.label} cancelled. Its {job.credits} credits are available again.")
    return redirect(job.get_absolute_url())


@require_POST
@org_view(Role.MEMBER)
def job_retry(request: OrgHttpRequest, public_id):
    job = selectors.tool_job_or_404(request.org, public_id)
    try:
        new = services.tool_retry(job=job, user=request.user)
    except (DomainError, InsufficientCredits) as exc:
        messages.error(request, exc.message)
        return redirect(job.get_absolute_url())
    messages.success(request, f"{new.label} queued again: {new.credits} credits held.")
    return redirect(new.get_absolute_url())
