"""Rotoscoping in the browser: choose a video, choose the range on its timeline (with the price as
it changes), start the job; watch it (progress, time left, cancel, retry) and compare the source
with the cut-out."""

from __future__ import annotations

import math
import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors as asset_selectors
from assets.models import Asset
from billing.prices import OPERATION_PRICES
from billing.services import InsufficientCredits, credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Role
from tools import roto, selectors


def _per_minute() -> int:
    return OPERATION_PRICES[roto.OPERATION].credits


@require_GET
@org_view()
def roto_choose(request: OrgHttpRequest):
    """Rotoscoping from the Tools section: pick a video."""
    return render(
        request,
        "tools/roto_choose.html",
        {
            "items": selectors.videos(request.org),
            "per_minute": _per_minute(),
            "max_seconds": roto.seconds_words(roto.plan_max_seconds(request.org)),
            "jobs": selectors.matte_jobs(request.org)[:8],
        },
    )


def _seconds(value: str | None, default: float) -> float:
    try:
        number = float(value) if value not in (None, "") else default
    except ValueError:
        return math.nan
    return number


def _page(request: OrgHttpRequest, asset: Asset, chosen: dict, error: str = "", *, status: int = 200):
    limit = roto.plan_max_seconds(request.org)
    return render(
        request,
        "tools/roto.html",
        {
            "asset": asset,
            "problem": roto.source_problem(asset),
            "error": error,
            "chosen": chosen,
            "limit": limit,
            "limit_words": roto.seconds_words(limit),
            "per_minute": _per_minute(),
            "credits": roto.roto_credits(max(0.0, chosen["end"] - chosen["start"])),
            "available": credits_available(request.org),
            "jobs": selectors.matte_jobs_for_asset(asset),
            "form_key": uuid.uuid4(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def roto_asset(request: OrgHttpRequest, public_id):
    """One video: the range slider over it, the live price, and Start."""
    asset = asset_selectors.asset_or_404(request.org, public_id)
    duration = asset.duration or 0.0
    if request.method == "GET":
        end = min(duration, float(roto.plan_max_seconds(request.org)))
        return _page(request, asset, {"start": 0.0, "end": round(end, 2)})
    chosen = {"start": _seconds(request.POST.get("start"), 0.0), "end": _seconds(request.POST.get("end"), duration)}
    try:
        job = roto.roto_start(
            org=request.org,
            user=request.user,
            asset=asset,
            start=chosen["start"],
            end=chosen["end"],
            key=one_time_key(request),
        )
    except DomainError as exc:
        shown = {k: (0.0 if math.isnan(v) else v) for k, v in chosen.items()}
        return _page(request, asset, shown, exc.message, status=400)
    messages.success(
        request,
        f"Rotoscoping queued: {job.credits} credits held. The transparent WebM and its preview land in your library.",
    )
    return redirect(job.get_absolute_url())


@require_GET
@org_view()
def roto_job(request: OrgHttpRequest, public_id):
    job = selectors.matte_job_or_404(request.org, public_id)
    return render(request, "tools/roto_job.html", {"job": job})


@require_GET
@org_view()
def roto_job_card(request: OrgHttpRequest, public_id):
    """The live status card, polled while the job runs; 286 stops the polling once it ends."""
    job = selectors.matte_job_or_404(request.org, public_id)
    compact = bool(request.GET.get("compact"))
    response = render(request, "tools/_roto_card.html", {"job": job, "compact": compact})
    if not job.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        if not compact:  # on the job page, the result appears next to its source
            response.write(render_to_string("tools/roto_job.html#roto-pair", {"job": job, "oob": True}, request))
    return response


@require_POST
@org_view(Role.MEMBER)
def roto_job_cancel(request: OrgHttpRequest, public_id):
    job = selectors.matte_job_or_404(request.org, public_id)
    with refusals_as_messages(request):
        roto.roto_cancel(job=job, user=request.user)
        messages.success(request, f"Rotoscoping cancelled. Its {job.credits} credits are available again.")
    return redirect(job.get_absolute_url())


@require_POST
@org_view(Role.MEMBER)
def roto_job_retry(request: OrgHttpRequest, public_id):
    job = selectors.matte_job_or_404(request.org, public_id)
    try:
        new = roto.roto_retry(job=job, user=request.user)
    except (DomainError, InsufficientCredits) as exc:
        messages.error(request, exc.message)
        return redirect(job.get_absolute_url())
    messages.success(request, f"Rotoscoping queued again: {new.credits} credits held.")
    return redirect(new.get_absolute_url())
