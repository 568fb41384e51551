"""Edit jobs in the browser: start an upscale, watch it, cancel or retry it (the list of every job is
the job centre, ``jobs.views``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors as asset_selectors
from billing.services import InsufficientCredits
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from core.refusals import refusals_as_messages
from generation import selectors, services
from generation.models import EditJob
from orgs.decorators import org_view
from orgs.models import Role


@require_POST
@org_view(Role.MEMBER)
def upscale(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    try:
        factor = int(request.POST.get("factor", ""))
    except ValueError:
        factor = 0
    key = one_time_key(request)
    try:
        job = services.upscale_start(org=request.org, user=request.user, asset=asset, factor=factor, key=key)
    except InsufficientCredits as exc:
        messages.error(request, f"{exc.message} Nothing was queued.")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{job.label} queued. It will appear in your library when it's done.")
    return redirect("assets:detail", request.org.slug, asset.public_id)


@require_GET
@org_view()
def job(request: OrgHttpRequest, public_id):
    return render(request, "generation/job.html", {"job": selectors.edit_job_or_404(request.org, public_id)})


@require_GET
@org_view()
def job_card(request: OrgHttpRequest, public_id):
    """The live status card, polled while the job runs; 286 stops the polling once it ends."""
    job = selectors.edit_job_or_404(request.org, public_id)
    compact = bool(request.GET.get("compact"))
    response = render(request, "generation/_job_card.html", {"job": job, "compact": compact})
    if not job.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        if not compact:  # on the job page, the result appears next to the original, with the details
            for part in ("job-pair", "job-details"):
                response.write(render_to_string(f"generation/job.html#{part}", {"job": job, "oob": True}, request))
    return response


@require_POST
@org_view(Role.MEMBER)
def job_cancel(request: OrgHttpRequest, public_id):
    job = selectors.edit_job_or_404(request.org, public_id)
    with refusals_as_messages(request):
        services.edit_job_cancel(job=job, user=request.user)
        messages.success(request, f"{job.label} cancelled. Its {job.credits} credits are available again.")
    return _back(request, job)


@require_POST
@org_view(Role.MEMBER)
def job_retry(request: OrgHttpRequest, public_id):
    job = selectors.edit_job_or_404(request.org, public_id)
    try:
        new = services.edit_job_retry(job=job, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, job)
    messages.success(request, f"{new.label} queued again.")
    return redirect(new.get_absolute_url())


def _back(request: OrgHttpRequest, job: EditJob):
    if request.POST.get("next") == "asset" and job.source:
        return redirect("assets:detail", request.org.slug, job.source.public_id)
    return redirect(job.get_absolute_url())
