"""The library's batch sidebar for one job per item: Upscale (images and videos), Change clothes
(images), Animate (videos, with a character). Each opens in the library's drawer (``#batch-panel``)
with the selection's plan: what is taken at what price, what is skipped and why, the total against
the credits and the plan's jobs at once. Changing a choice asks for the panel again; starting is
refused with the panel and its reasons (400, nothing started), or goes where the jobs can be watched.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from assets.models import Asset
from characters import attributes
from characters.selectors import character_or_404
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from generation.forms import selected_ids
from orgs.decorators import org_view
from orgs.models import Role
from video import animate, batch
from video.models import AnimatePipeline

ACTIONS = {"upscale": "Upscale", "clothes": "Change clothes", "animate": "Animate a character"}
TEMPLATE = "video/_batch_panel.html"


def _selection(request: OrgHttpRequest) -> list[Asset]:
    try:
        ids = selected_ids(request.POST.get("ids", ""))
    except forms.ValidationError:
        raise Http404("Something in this selection isn't in the library.") from None
    found = {str(a.public_id): a for a in Asset.objects.for_org(request.org).filter(public_id__in=ids)}
    if len(found) != len(set(ids)):
        raise Http404("Something in this selection isn't in the library.")
    return [found[i] for i in dict.fromkeys(ids)]


def _factor(request: OrgHttpRequest) -> int:
    try:
        factor = int(request.POST.get("factor") or 2)
    except ValueError:
        factor = 2
    return factor if factor in batch.UPSCALE_FACTORS else 2


def _animate_request(request: OrgHttpRequest) -> animate.AnimateRequest:
    character = None
    if chosen := request.POST.get("character"):
        character = character_or_404(request.org, chosen)
    else:
        usable = [c for c, why_not in batch.character_choices(request.org) if not why_not]
        character = usable[0] if len(usable) == 1 else None
    mode = request.POST.get("mode") or AnimatePipeline.Mode.REPLACE
    resolution = request.POST.get("resolution") or "480p"
    return animate.AnimateRequest(
        character=character,
        mode=mode,
        resolution=resolution,
        outfit=request.POST.get("outfit", ""),
        nsfw=request.POST.get("nsfw") == "on",
    )


def _plan(request: OrgHttpRequest, action: str, assets: list[Asset]) -> tuple[batch.Plan, dict]:
    if action == "upscale":
        factor = _factor(request)
        return batch.upscale_plan(request.org, assets, factor), {"factor": factor}
    if action == "clothes":
        return batch.clothes_plan(request.org, assets), {
            "outfit": request.POST.get("outfit", ""),
            "description": request.POST.get("description", ""),
        }
    wanted = _animate_request(request)
    if wanted.character is None:
        plan = batch.empty_plan(request.org)
        plan.skipped = [(a, "Choose a character first.") for a in assets]
        return plan, {"request": wanted}
    return batch.animate_plan(request.org, assets, wanted), {"request": wanted}


def _panel(request: OrgHttpRequest, action: str, assets, errors: list[str], status: int = 200):
    plan, chosen = _plan(request, action, assets)
    return render(
        request,
        TEMPLATE,
        {
            "action": action,
            "title": ACTIONS[action],
            "ids": ",".join(str(a.public_id) for a in assets),
            "plan": plan,
            "chosen": chosen,
            "errors": errors,
            "factors": batch.UPSCALE_FACTORS,
            "outfits": attributes.OUTFITS,
            "characters": batch.character_choices(request.org) if action == "animate" else [],
            "modes": AnimatePipeline.Mode.choices,
            "resolutions": animate.RESOLUTIONS,
            "max_seconds": animate.MAX_SECONDS,
            "key": request.POST.get("key") or uuid.uuid4(),
        },
        status=status,
    )


@require_POST
@org_view(Role.MEMBER)
def batch_panel(request: OrgHttpRequest, action: str):
    """The panel for the selection and the choices so far: a POST that changes nothing (a selection
    of hundreds of ids doesn't fit in a URL)."""
    if action not in ACTIONS:
        raise Http404
    if not request.htmx:
        return redirect("assets:library", request.org.slug)
    return _panel(request, action, _selection(request), [])


@require_POST
@org_view(Role.MEMBER)
def batch_start(request: OrgHttpRequest, action: str):
    if action not in ACTIONS:
        raise Http404
    assets = _selection(request)
    key = one_time_key(request)
    try:
        if action == "upscale":
            started = batch.batch_upscale_start(
                org=request.org, user=request.user, assets=assets, factor=_factor(request), key=key
            )
            videos_only = all(a.kind == Asset.Kind.VIDEO for a in assets if a.kind != Asset.Kind.FILE)
            where = "video:home" if videos_only else "jobs:centre"
            words = f"{len(started)} upscale{'s' if len(started) != 1 else ''}"
        elif action == "clothes":
            started = batch.batch_clothes_start(
                org=request.org,
                user=request.user,
                assets=assets,
                outfit=request.POST.get("outfit", ""),
                description=request.POST.get("description", ""),
                key=key,
            )
            where, words = "jobs:centre", f"{len(started)} clothing change{'s' if len(started) != 1 else ''}"
        else:
            wanted = _animate_request(request)
            if wanted.character is None:
                raise DomainError("Choose the character to animate.")
            started = batch.batch_animate_start(
                org=request.org, user=request.user, assets=assets, request=wanted, key=key
            )
            where, words = "video:home", f"{len(started)} animation{'s' if len(started) != 1 else ''}"
    except DomainError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect("assets:library", request.org.slug)
        return _panel(request, action, assets, [exc.message], status=400)
    messages.success(request, f"Started {words}: each is a job of its own, with its own credits.")
    url = reverse(where, args=[request.org.slug])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
