"""``{% payment_problem_banner %}`` in the app's shell and ``{% low_credit_alert %}`` on the
Billing page: the parts of billing's emails and dunning that show in pages."""

from django import template

from billing import selectors
from billing.dunning import payment_problem
from billing.forms import LowCreditAlertForm

register = template.Library()


@register.inclusion_tag("billing/includes/payment_problem_banner.html", takes_context=True)
def payment_problem_banner(context) -> dict:
    """For owners and admins while a payment is failing: until when the plan keeps working, and
    the way to fix the card. One query, for them only."""
    request = context.get("request")
    org, membership = getattr(request, "org", None), getattr(request, "membership", None)
    if org is None or membership is None or not membership.can_manage_members:
        return {"problem": None}
    return {"org": org, "problem": payment_problem(org)}


@register.inclusion_tag("billing/low_credit_alert.html#low-credit-alert", takes_context=True)
def low_credit_alert(context) -> dict:
    """The low-credit email's threshold: a form for owners and admins, a sentence for the others."""
    request = context["request"]
    threshold = selectors.low_credit_threshold(request.org)
    return {
        "request": request,
        "threshold": threshold,
        "form": LowCreditAlertForm(initial={"threshold": threshold}),
    }
