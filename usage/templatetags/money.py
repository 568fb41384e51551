from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(amount) -> str:
    """Provider money as people read it: "$0", "$0.0350" (under a dollar, to the hundredth of a
    cent), "$1,234.56"."""
    if amount is None:
        return "unknown"
    amount = Decimal(amount)
    if not amount:
        return "$0"
    if abs(amount) < 1:
        return f"${amount:.4f}"
    return f"${amount:,.2f}"
