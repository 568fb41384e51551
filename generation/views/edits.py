"""Inpaint and change clothes in the browser: one page each, on any image in the library.

Both pages post a multipart form (the inpaint page's mask canvas becomes a PNG file field,
``mask``) and, once the job has started, go to the job page. Refusals come back as the same page
with each reason next to what caused it, and nothing the person typed, painted or uploaded lost.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from analytics.services import track
from assets import selectors as asset_selectors
from assets.models import Asset
from billing.services import InsufficientCredits, credits_available
from characters import attributes
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from generation import edits, masks, selectors
from generation.clothing import clothing_store
from generation.models import EditJob
from orgs.decorators import org_view
from orgs.models import Role


def _refusal(exc: DomainError) -> dict[str, str]:
    """Field → message for the page; ``general`` for what belongs to no one field."""
    if isinstance(exc, edits.EditRefused):
        return exc.errors
    if isinstance(exc, InsufficientCredits):
        return {"general": exc.refusal("This edit") + " Nothing was charged."}
    return {exc.field or "general": exc.message}


def _opened(request: OrgHttpRequest, asset: Asset, edit: str) -> None:
    track(
        "image_edit_opened",
        org=request.org,
        user=request.user,
        influencer_id=str(asset.character.public_id) if asset.character else None,
        image_id=str(asset.public_id),
        edit=edit,
    )


def _page(request: OrgHttpRequest, template: str, asset: Asset, kind: str, errors: dict, **context):
    offer = next(o for o in edits.edit_offers(asset) if o.kind == kind)
    available = credits_available(request.org)
    return render(
        request,
        template,
        {
            "asset": asset,
            "offer": offer,
            "available": available,
            "can_afford": available >= offer.credits,
            "face_model": edits.face_model(asset),
            "errors": errors,
            "form_key": uuid.uuid4(),
            **context,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def inpaint(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    errors: dict[str, str] = {}
    prompt, mask_url = "", ""
    if request.method == "POST":
        prompt = request.POST.get("prompt", "")
        mask = request.FILES.get("mask")
        try:
            job = edits.inpaint_start(
                org=request.org, user=request.user, asset=asset, prompt=prompt, mask=mask, key=one_time_key(request)
            )
        except DomainError as exc:
            errors = _refusal(exc)
            if mask is not None and "mask" not in errors:
                mask_url = _data_url(mask)  # painted already: put it back on the canvas
        else:
            messages.success(request, "Edit started. The result is added to your library as a new image.")
            return redirect(job.get_absolute_url())
    else:
        earlier = _earlier_job(request, asset)
        if earlier is not None:  # "Change the mask or description" from a finished job
            prompt, mask_url = earlier.params.get("prompt", ""), masks.mask_data_url(earlier)
        _opened(request, asset, "inpaint")
    return _page(
        request, "generation/inpaint.html", asset, EditJob.Kind.INPAINT, errors, prompt=prompt, mask_url=mask_url
    )


def _earlier_job(request: OrgHttpRequest, asset: Asset) -> EditJob | None:
    try:
        job = selectors.edit_job_or_404(request.org, request.GET.get("from", ""))
    except Http404:
        return None
    return job if job.kind == EditJob.Kind.INPAINT and job.source_id == asset.pk else None


def _data_url(upload) -> str:
    if upload.size > masks.MASK_MAX_BYTES:
        return ""
    upload.seek(0)
    return "data:image/png;base64," + base64.b64encode(upload.read()).decode()


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def clothes(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    errors: dict[str, str] = {}
    choice: dict[str, Any] = {"via": "outfit", "outfit": "", "description": "", "clothing": None}
    if request.method == "POST":
        choice.update(
            via="photo" if request.POST.get("via") == "photo" else "outfit",
            outfit=request.POST.get("outfit", ""),
            description=request.POST.get("description", ""),
        )
        try:
            if choice["via"] == "photo":
                choice["clothing"] = _clothing(request, asset)
            job = edits.clothes_start(
                org=request.org,
                user=request.user,
                asset=asset,
                outfit=choice["outfit"],
                description=choice["description"],
                clothing=choice["clothing"],
                key=one_time_key(request),
            )
        except DomainError as exc:
            errors = _refusal(exc)
        else:
            messages.success(request, "Clothing change started. The result is added to your library as a new image.")
            return redirect(job.get_absolute_url())
    else:
        _opened(request, asset, "clothes")
    return _page(
        request,
        "generation/clothes.html",
        asset,
        EditJob.Kind.CLOTHES,
        errors,
        choice=choice,
        outfits=attributes.OUTFITS,
        library=selectors.clothing_choices(request.org, exclude=asset, selected=choice["clothing"]),
        max_description=edits.MAX_DESCRIPTION,
    )


def _clothing(request: OrgHttpRequest, asset: Asset) -> Asset:
    """The clothing photo: a new upload (kept in the library, so it isn't lost if anything else is
    wrong) or one chosen from the library."""
    upload = request.FILES.get("clothing")
    if upload is not None and upload.size:
        return clothing_store(org=request.org, user=request.user, upload=upload, for_name=asset.title)
    try:
        return asset_selectors.asset_or_404(request.org, request.POST.get("clothing_asset", ""))
    except Http404:
        raise edits.EditRefused({"clothing": edits.NO_CLOTHING}) from None
