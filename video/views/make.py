"""Make video from an image, and upscale a video: the pages that start a ``VideoJob``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from analytics.services import track
from assets import selectors as asset_selectors
from assets.models import Asset
from billing.services import InsufficientCredits, credits_available
from characters.services import nsfw_permitted
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from orgs.decorators import org_view
from orgs.models import Role
from video import motion, routing, services, upscale
from video.forms import MakeVideoForm

TEMPLATE = "video/make.html"


def _adult_option(asset: Asset) -> tuple[bool, str]:
    """Whether the page offers adult content for this image, and if not, why not."""
    character = asset.character
    if character is None:
        return False, "Adult videos are made of a character that allows adult content; this image shows none."
    if nsfw_permitted(character):
        return True, ""
    return (
        False,
        f"Adult content is off for {character.name}: it needs the organisation's setting, the character's permission and a consent record that covers it.",
    )


def _page(request: OrgHttpRequest, asset: Asset, form: MakeVideoForm, errors: dict[str, str], *, status: int = 200):
    data = form.data if form.is_bound else {}
    shape = data.get("shape") or routing.shape_for(asset.width or 1, asset.height or 1)
    shape = shape if shape in routing.SHAPES else routing.shape_for(asset.width or 1, asset.height or 1)
    adult, adult_why = _adult_option(asset)
    chosen = {
        "prompt": data.get("prompt", ""),
        "write": data.get("write") == "on" if form.is_bound else False,
        "seconds": str(data.get("seconds", "6")),
        "shape": shape,
        "resolution": data.get("resolution") or routing.default_resolution(shape),
        "speed": data.get("speed", "pro"),
        "audio": data.get("audio") == "on" if form.is_bound else True,
        "nsfw": data.get("nsfw") == "on",
    }
    return render(
        request,
        TEMPLATE,
        {
            "asset": asset,
            "problem": services.source_problem(asset),
            "chosen": chosen,
            "errors": errors,
            "shapes": routing.SHAPES.values(),
            "durations": routing.DURATIONS,
            "resolutions": {key: routing.resolutions(key) for key in routing.SHAPES},
            "image_shape": routing.shape_for(asset.width or 1, asset.height or 1),
            "shape_problems": {
                key: routing.shape_problem(asset.width or 1, asset.height or 1, key) for key in routing.SHAPES
            },
            "prices": routing.price_table(),
            "available": credits_available(request.org),
            "adult": adult,
            "adult_why": adult_why,
            "max_motion": motion.MAX_MOTION,
            "form_key": uuid.uuid4(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def make(request: OrgHttpRequest, public_id):
    """The Make video page for a library image: the motion, length, shape, resolution, speed, sound
    and adult content, with the cost before anything is charged."""
    asset = asset_selectors.asset_or_404(request.org, public_id)
    if request.method == "GET":
        track("video_opened", org=request.org, user=request.user, image_id=str(asset.public_id))
        return _page(request, asset, MakeVideoForm(), {})
    form = MakeVideoForm(request.POST)
    if not form.is_valid():
        errors = {name: str(errs[0]) for name, errs in form.errors.items()}
        return _page(request, asset, form, errors, status=400)
    try:
        job = services.video_start(
            org=request.org, user=request.user, asset=asset, request=form.video_request(), key=one_time_key(request)
        )
    except services.VideoRefused as exc:
        return _page(request, asset, form, exc.errors, status=400)
    except DomainError as exc:
        return _page(request, asset, form, {exc.field or "general": exc.message}, status=400)
    messages.success(
        request, f"{job.label} queued: {job.credits} credits held. It lands in your library when it's done."
    )
    return redirect(job.get_absolute_url())


@require_POST
@org_view(Role.MEMBER)
def video_upscale(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    try:
        factor = int(request.POST.get("factor", ""))
    except ValueError:
        factor = 0
    try:
        job = upscale.video_upscale_start(
            org=request.org, user=request.user, asset=asset, factor=factor, key=one_time_key(request)
        )
    except InsufficientCredits as exc:
        messages.error(request, f"{exc.message} Nothing was queued.")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{job.label} queued. It will appear in your library when it's done.")
        return redirect(job.get_absolute_url())
    return redirect("assets:detail", request.org.slug, asset.public_id)
