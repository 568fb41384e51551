"""Animate a character from a reference video: the start page on a library video, and the
animation's page, which shows each step, its output and its credits, and polls while one runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors as asset_selectors
from assets.models import Asset
from billing.services import credits_available
from characters import attributes
from characters.models import Character
from characters.selectors import character_or_404
from characters.services import nsfw_permitted
from core import placement
from core.exceptions import DomainError
from core.htmx import render_page
from core.http import OrgHttpRequest, one_time_key
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Role
from video import animate, selectors, steps
from video.forms import AnimateForm
from video.models import AnimatePipeline

TEMPLATE = "video/animate.html"


@dataclass(frozen=True)
class CharacterChoice:
    """A character as the picker shows it: usable or not (and why), and whether adult content is."""

    character: Character
    why_not: str
    nsfw: bool


def _page(request: OrgHttpRequest, video: Asset, form: AnimateForm, errors: dict[str, str], *, status: int = 200):
    data = form.data if form.is_bound else {}
    duration = video.duration or 0
    characters = [
        CharacterChoice(c, animate.character_problem(c), nsfw_permitted(c))
        for c in selectors.animate_characters(request.org)
    ]
    usable = [c.character for c in characters if not c.why_not]
    chosen = {
        "character": data.get("character") or (str(usable[0].public_id) if len(usable) == 1 else ""),
        "mode": data.get("mode", AnimatePipeline.Mode.REPLACE),
        "resolution": data.get("resolution", "480p"),
        "start": data.get("start", "0"),
        "seconds": data.get("seconds") or f"{min(duration, animate.MAX_SECONDS):g}",
        "outfit": data.get("outfit", ""),
        "outfit_words": data.get("outfit_words", ""),
        "nsfw": data.get("nsfw") == "on",
    }
    return render(
        request,
        TEMPLATE,
        {
            "video": video,
            "problem": animate.video_problem(video),
            "too_long": duration > animate.MAX_SECONDS,
            "max_seconds": animate.MAX_SECONDS,
            "characters": characters,
            "chosen": chosen,
            "errors": errors,
            "modes": AnimatePipeline.Mode.choices,
            "resolutions": animate.RESOLUTIONS,
            "outfits": attributes.OUTFITS,
            "prices": {
                "swap": steps.step_credits("swap"),
                "refine": steps.step_credits("refine"),
                "clothes": steps.step_credits("refine", clothes=True),
                "per_second": steps.step_credits("animate", seconds=1),
            },
            "available": credits_available(request.org),
            "form_key": uuid.uuid4(),
            "project_field": form[placement.FIELD] if placement.FIELD in form.fields else None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def start(request: OrgHttpRequest, public_id):
    video = asset_selectors.asset_or_404(request.org, public_id)
    if request.method == "GET":
        return _page(
            request, video, placement.add_field(AnimateForm(), request.org, initial=request.GET.get("project", "")), {}
        )
    form = placement.add_field(AnimateForm(request.POST), request.org)
    if not form.is_valid():
        return _page(request, video, form, {name: str(errs[0]) for name, errs in form.errors.items()}, status=400)
    character = character_or_404(request.org, form.cleaned_data["character"])
    try:
        with placement.chosen(placement.form_choice(form)):
            pipeline = animate.pipeline_start(
                org=request.org,
                user=request.user,
                video=video,
                request=form.animate_request(character),
                key=one_time_key(request),
            )
    except animate.AnimateRefused as exc:
        return _page(request, video, form, exc.errors, status=400)
    except DomainError as exc:
        return _page(request, video, form, {exc.field or "general": exc.message}, status=400)
    messages.success(
        request, "Animation started: the first frame is being prepared. Nothing is charged until the face swap."
    )
    return redirect(pipeline.get_absolute_url())


def _pipeline_page(request: OrgHttpRequest, pipeline: AnimatePipeline):
    state = selectors.pipeline_state(pipeline)
    response = render_page(
        request,
        "video/pipeline.html",
        {"pipeline": pipeline, "state": state, "available": credits_available(request.org), "form_key": uuid.uuid4()},
        partials=("pipeline-steps",),
    )
    if request.htmx and not state.is_active and request.method == "GET":
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
@org_view()
def pipeline(request: OrgHttpRequest, public_id):
    return _pipeline_page(request, selectors.pipeline_or_404(request.org, public_id))


@require_POST
@org_view(Role.MEMBER)
def pipeline_step(request: OrgHttpRequest, public_id):
    """Run a step: resume one that failed or was cancelled, redo one (another seed), or animate."""
    pipeline = selectors.pipeline_or_404(request.org, public_id)
    kind = request.POST.get("step", "")
    try:
        step = animate.step_start(pipeline=pipeline, kind=kind, user=request.user, key=one_time_key(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        held = f"{step.credits} credits held" if step.credits else "free"
        messages.success(request, f"{step.get_kind_display()} started ({held}).")
    return redirect(pipeline.get_absolute_url())


@require_POST
@org_view(Role.MEMBER)
def pipeline_cancel(request: OrgHttpRequest, public_id):
    pipeline = selectors.pipeline_or_404(request.org, public_id)
    with refusals_as_messages(request):
        step = animate.pipeline_cancel(pipeline=pipeline, user=request.user)
        returned = f" Its {step.credits} credits are available again." if step.credits else ""
        messages.success(request, f"{step.get_kind_display()} cancelled.{returned} The steps before it are kept.")
    return redirect(pipeline.get_absolute_url())
