"""The "Edit" card on a library item: what can be done to it, at what price, and its recent jobs."""

import uuid

from django import template

from billing.services import credits_available
from generation import selectors, services

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
        "jobs": selectors.edit_jobs_for_asset(asset),
        "form_key": uuid.uuid4(),
        "csrf_token": context.get("csrf_token"),
    }
