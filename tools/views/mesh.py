"""Image → 3D in the browser: choose an image, choose faces and format, start the job; watch it
(progress, ETA, cancel, retry) with the image before and the model after in a 3D viewer; open any
3D model in the library in the same viewer."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors as asset_selectors
from assets import storage
from billing.services import InsufficientCredits, credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Role
from tools import mesh, mesh_jobs, selectors


@require_GET
@org_view()
def choose(request: OrgHttpRequest):
    """Image → 3D from the Tools section: pick an image; the latest models below."""
    return render(
        request,
        "tools/mesh_choose.html",
        {
            "items": selectors.images(request.org),
            "jobs": list(selectors.mesh_jobs(request.org)[:6]),
            "credits": mesh_jobs.mesh_credits(),
        },
    )


def _page(request: OrgHttpRequest, asset, data: dict, errors: dict[str, str], *, status: int = 200):
    return render(
        request,
        "tools/mesh_make.html",
        {
            "asset": asset,
            "problem": mesh.source_problem(asset),
            "face_choices": mesh.FACE_CHOICES,
            "chosen": {"faces": data.get("faces", mesh.DEFAULT_FACES), "format": data.get("format", "glb")},
            "errors": errors,
            "credits": mesh_jobs.mesh_credits(),
            "available": credits_available(request.org),
            "jobs": selectors.mesh_jobs_for_asset(asset),
            "form_key": uuid.uuid4(),
        },
        status=status,
    )


def _faces(value: str) -> int | None:
    try:
        return int(value.replace(",", ""))
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def make(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    if request.method == "GET":
        return _page(request, asset, {}, {})
    faces, fmt = _faces(request.POST.get("faces", "")), request.POST.get("format", "")
    try:
        job = mesh_jobs.mesh_start(
            org=request.org,
            user=request.user,
            asset=asset,
            faces=faces,  # type: ignore[arg-type]  # checked by mesh_start
            fmt=fmt,
            key=one_time_key(request),
        )
    except mesh_jobs.MeshRefused as exc:
        return _page(request, asset, {"faces": faces, "format": fmt}, exc.errors, status=400)
    except DomainError as exc:
        return _page(request, asset, {"faces": faces, "format": fmt}, {"general": exc.message}, status=400)
    messages.success(
        request, f"3D model queued: {job.credits} credits held. It lands in your library next to the image."
    )
    return redirect(job.get_absolute_url())


@require_GET
@org_view()
def job(request: OrgHttpRequest, public_id):
    return render(request, "tools/mesh_job.html", {"job": selectors.mesh_job_or_404(request.org, public_id)})


@require_GET
@org_view()
def job_card(request: OrgHttpRequest, public_id):
    """The live status card, polled while the job runs; 286 stops the polling once it ends."""
    job = selectors.mesh_job_or_404(request.org, public_id)
    compact = bool(request.GET.get("compact"))
    response = render(request, "tools/_mesh_job_card.html", {"job": job, "compact": compact})
    if not job.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        if not compact:  # on the job page, the model appears next to its image
            response.write(render_to_string("tools/mesh_job.html#mesh-pair", {"job": job, "oob": True}, request))
    return response


@require_POST
@org_view(Role.MEMBER)
def job_cancel(request: OrgHttpRequest, public_id):
    job = selectors.mesh_job_or_404(request.org, public_id)
    with refusals_as_messages(request):
        mesh_jobs.mesh_cancel(job=job, user=request.user)
        messages.success(request, f"3D model cancelled. Its {job.credits} credits are available again.")
    return redirect(job.get_absolute_url())


@require_POST
@org_view(Role.MEMBER)
def job_retry(request: OrgHttpRequest, public_id):
    job = selectors.mesh_job_or_404(request.org, public_id)
    try:
        new = mesh_jobs.mesh_retry(job=job, user=request.user)
    except (DomainError, InsufficientCredits) as exc:
        messages.error(request, exc.message)
        return redirect(job.get_absolute_url())
    messages.success(request, f"3D model queued again: {new.credits} credits held.")
    return redirect(new.get_absolute_url())


@require_GET
@org_view()
def viewer(request: OrgHttpRequest, public_id):
    """A 3D model in the library, in the viewer, with its downloads."""
    asset = asset_selectors.asset_or_404(request.org, public_id)
    if asset.mime != mesh.GLB_MIME:
        raise Http404("Not a 3D model.")
    obj = asset.variants.get("obj")
    return render(
        request,
        "tools/mesh_viewer.html",
        {
            "asset": asset,
            "obj_url": storage.signed_url(request.org, obj, download_name=f"{asset.title[:80]}.zip") if obj else "",
            "source": asset.parents.first(),
        },
    )
