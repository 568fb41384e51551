"""The Videos page, and video jobs in the browser: watch one, cancel it, retry it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from core.exceptions import DomainError
from core.http import OrgHttpRequest
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Role
from video import selectors, services
from video.models import VideoJob


@require_GET
@org_view()
def home(request: OrgHttpRequest):
    """Videos: the newest clips, what is being made, and the animations, with where to start."""
    pipelines = list(selectors.pipelines(request.org)[:12])
    return render(
        request,
        "video/home.html",
        {
            "videos": selectors.videos(request.org),
            "jobs": list(selectors.video_jobs(request.org)[:12]),
            "pipelines": [(p, selectors.pipeline_state(p)) for p in pipelines],
        },
    )


@require_GET
@org_view()
def job(request: OrgHttpRequest, public_id):
    return render(request, "video/job.html", {"job": selectors.video_job_or_404(request.org, public_id)})


@require_GET
@org_view()
def job_card(request: OrgHttpRequest, public_id):
    """The live status card, polled while the job runs; 286 stops the polling once it ends."""
    job = selectors.video_job_or_404(request.org, public_id)
    compact = bool(request.GET.get("compact"))
    response = render(request, "video/_job_card.html", {"job": job, "compact": compact})
    if not job.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        if not compact:  # on the job page, the clip appears next to its source, with the details
            for part in ("job-pair", "job-details"):
                response.write(render_to_string(f"video/job.html#{part}", {"job": job, "oob": True}, request))
    return response


@require_POST
@org_view(Role.MEMBER)
def job_cancel(request: OrgHttpRequest, public_id):
    job = selectors.video_job_or_404(request.org, public_id)
    with refusals_as_messages(request):
        services.video_job_cancel(job=job, user=request.user)
        messages.success(request, f"{job.label} cancelled. Its {job.credits} credits are available again.")
    return _back(request, job)


@require_POST
@org_view(Role.MEMBER)
def job_retry(request: OrgHttpRequest, public_id):
    job = selectors.video_job_or_404(request.org, public_id)
    try:
        new = services.video_job_retry(job=job, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, job)
    messages.success(request, f"{new.label} queued again: {new.credits} credits held.")
    return redirect(new.get_absolute_url())


def _back(request: OrgHttpRequest, job: VideoJob):
    if request.POST.get("next") == "asset" and job.source:
        return redirect("assets:detail", request.org.slug, job.source.public_id)
    return redirect(job.get_absolute_url())
