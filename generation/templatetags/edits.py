"""The "Edit" card on a library item (what can be done to it, at what price, and its recent jobs),
and how an edit job's model and step read on its pages."""

import uuid

from django import template

from assets import storage
from billing.services import credits_available
from core import placement
from generation import edits, selectors, services
from providers import registry

register = template.Library()


@register.inclusion_tag("generation/_asset_edits.html", takes_context=True)
def asset_edits(context, asset):
    request = context["request"]
    options = services.upscale_options(asset) if asset.kind == "image" else []
    available = credits_available(request.org)
    cheapest = min((o.credits for o in options if o.allowed), default=None)
    return {
        "request": request,
        "asset": asset,
        "options": options,
        "available": available,
        "cheapest": cheapest,
        "can_afford": cheapest is not None and available >= cheapest,
        "edit_offers": edits.edit_offers(asset) if asset.kind == "image" else [],
        "jobs": selectors.edit_jobs_for_asset(asset),
        "form_key": uuid.uuid4(),
        "csrf_token": context.get("csrf_token"),
        # The upscale dialog's "Project" choice, preselected when the page came from a project.
        "project_field": placement.bound_field(
            placement.form_for(request.org, initial=request.GET.get("project", ""), prefix="upscale")
        ),
    }


@register.filter
def edit_step(job) -> str:
    """What a running inpaint or clothing change is doing now ('' for one-step jobs)."""
    if job.kind == "clothes" and job.is_active:
        return edits.STEP_WORDS.get(job.params.get("step", ""), "")
    return ""


@register.filter
def edit_model(job) -> str:
    """The model an edit job ran on, in words; the demo provider says it is not AI."""
    call = job.call
    if call is None:
        return "—"
    if call.provider != "demo":
        if job.kind == "clothes" and job.params.get("via") == "outfit":
            return f"{registry.ENDPOINTS['segment'].endpoint_id} → {call.endpoint_id}"
        return call.endpoint_id
    if job.kind == "upscale":
        return "Demo provider (local Lanczos resize, not AI)"
    if job.kind == "inpaint":
        return "Demo provider (a labelled placeholder painted into the mask, not AI)"
    if job.params.get("via") == "photo":
        return "Demo provider (the garment pasted as a labelled inset, not AI)"
    return "Demo provider (a heuristic torso mask and a labelled placeholder fill, not AI)"


@register.simple_tag(takes_context=True)
def edit_mask_url(context, job) -> str:
    """A short-lived URL of the job's stored mask ('' if it has none)."""
    return storage.signed_url(context["request"].org, job.mask_key) if job.mask_key else ""
