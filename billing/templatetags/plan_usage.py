"""``{% usage_meters %}`` and ``{% plan_meters as meters %}``: how much of its plan ``request.org`` uses."""

from django import template

from billing.limits import plan_meters as _plan_meters

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_meters(context):
    """Characters, storage, seats and running jobs of ``request.org``, each against its plan."""
    return _plan_meters(context["request"].org)


@register.inclusion_tag("billing/includes/usage_meters.html", takes_context=True)
def usage_meters(context) -> dict:
    request = context["request"]
    meters = _plan_meters(request.org)
    return {"meters": meters, "org": request.org, "at_limit": any(m.full for m in meters)}
