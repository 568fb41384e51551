"""``{% credits_pill %}``: the organisation's available credits in the app's top bar."""

from django import template

from billing.selectors import credit_summary

register = template.Library()


@register.inclusion_tag("billing/includes/credits_pill.html", takes_context=True)
def credits_pill(context) -> dict:
    """One query: the balance and held credits of ``request.org``. Renders nothing outside an org."""
    request = context.get("request")
    org = getattr(request, "org", None)
    if org is None:
        return {"summary": None}
    return {"org": org, "summary": credit_summary(org)}


@register.simple_tag(takes_context=True)
def org_credits(context):
    """``{% org_credits as credits %}``: balance, held and available credits of ``request.org``."""
    return credit_summary(context["request"].org)
