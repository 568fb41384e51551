"""Colour grading in the browser: choose an item, grade it with a live preview (looks, sliders,
undo/redo, uploaded LUTs), start the job."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets import selectors as asset_selectors
from assets.models import Asset
from billing.services import credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from orgs.decorators import org_view
from orgs.models import Role
from tools import grading, luts, selectors, services
from tools.models import ToolJob


@require_GET
@org_view()
def choose(request: OrgHttpRequest):
    """Colour grading from the Tools section: pick an image or a video."""
    return render(
        request,
        "tools/grade_choose.html",
        {"items": selectors.gradable(request.org), "credits": services.tool_credits(ToolJob.Kind.GRADE)},
    )


def _looks(request: OrgHttpRequest) -> list[dict]:
    looks = [
        {"value": slug, "name": p.name, "words": p.words, "url": static(f"tools/luts/{p.filename}")}
        for slug, p in luts.PRESETS.items()
    ]
    looks += [
        {
            "value": f"lut:{lut.public_id}",
            "name": lut.name,
            "words": f"Your LUT ({lut.size}³)",
            "url": reverse("tools:lut_file", args=[request.org.slug, lut.public_id]),
        }
        for lut in selectors.luts(request.org)
    ]
    return looks


def _page(request: OrgHttpRequest, asset: Asset, data: dict, errors: dict[str, str], *, status: int = 200):
    return render(
        request,
        "tools/grade.html",
        {
            "asset": asset,
            "problem": grading.source_problem(asset),
            "looks": _looks(request),
            "chosen": {"look": data.get("look", ""), **{k: data.get(k, "0") for k in luts.Adjustments.LIMITS}},
            "errors": errors,
            "credits": services.tool_credits(ToolJob.Kind.GRADE),
            "available": credits_available(request.org),
            "jobs": selectors.jobs_for_asset(asset),
            "form_key": uuid.uuid4(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def grade(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    if request.method == "GET":
        return _page(request, asset, {"look": request.GET.get("look", "")}, {})
    try:
        job = grading.grade_start(
            org=request.org, user=request.user, asset=asset, data=request.POST.dict(), key=one_time_key(request)
        )
    except DomainError as exc:
        return _page(request, asset, request.POST.dict(), {exc.field or "general": exc.message}, status=400)
    messages.success(request, f"{job.label} queued: {job.credits} credits held. The graded copy lands in your library.")
    return redirect(job.get_absolute_url())


@require_POST
@org_view(Role.MEMBER)
def lut_upload(request: OrgHttpRequest):
    """Keep an uploaded .cube and go back to the grade page with it chosen; a corrupt one is refused
    with the line at fault."""
    back = request.POST.get("asset", "")
    asset = asset_selectors.asset_or_404(request.org, back)
    upload = request.FILES.get("cube")
    if upload is None:
        return _page(request, asset, {}, {"cube": "Choose a .cube file to upload."}, status=400)
    try:
        lut = grading.lut_upload(org=request.org, user=request.user, name=upload.name or "", data=upload.read())
    except luts.CubeError as exc:
        return _page(request, asset, {}, {"cube": f"“{upload.name}” can't be used. {exc.message}"}, status=400)
    messages.success(request, f"“{lut.name}” added to your looks ({lut.size}³ LUT).")
    return redirect(reverse("tools:grade", args=[request.org.slug, asset.public_id]) + f"?look=lut:{lut.public_id}")


@require_GET
@org_view()
def lut_file(request: OrgHttpRequest, lut_id):
    """An uploaded LUT as its .cube text, for the preview."""
    lut = selectors.lut_or_404(request.org, lut_id)
    return HttpResponse(lut.text, content_type="text/plain; charset=utf-8")
