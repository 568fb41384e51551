"""The "Style" card on a library image: extract its style (at its price) and the styles taken from it."""

import uuid

from django import template

from billing.prices import operation_credits
from billing.services import credits_available
from styles import selectors, services

register = template.Library()


@register.inclusion_tag("styles/_asset_card.html", takes_context=True)
def asset_style_card(context, asset):
    request = context["request"]
    return {
        "request": request,
        "asset": asset,
        "price": operation_credits(services.OPERATION),
        "available": credits_available(request.org),
        "styles": selectors.styles_for_asset(asset),
        "form_key": uuid.uuid4(),
        "csrf_token": context.get("csrf_token"),
    }
