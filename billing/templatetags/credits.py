"""``{% credits_pill %}``: the organisation's available credits in the app's top bar."""

from django import template

from billing.selectors import credit_summary

register = template.Library()


@register.inclusion_tag("billing/includes/credits_pill.html", takes_context=True)
def credits_pill(context, oob: bool = False) -> dict:
    """One query: the balance and held credits of ``request.org``. Renders nothing outside an org.
    ``oob=True`` marks it for an htmx out-of-band swap, so a partial that moved credits (a pack
    finishing, a cancel, a retry) can bring the top bar up to date with it."""
    request = context.get("request")
    org = getattr(request, "org", None)
    if org is None:
        return {"summary": None}
    return {"org": org, "summary": credit_summary(org), "oob": oob}


@register.simple_tag(takes_context=True)
def org_credits(context):
    """``{% org_credits as credits %}``: balance, held and available credits of ``request.org``."""
    return credit_summary(context["request"].org)
