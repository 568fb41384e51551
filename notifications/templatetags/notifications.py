"""``{% notification_bell %}``: the bell in the app's top bar, with the unread count."""

from django import template

from notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    """One count query for ``request.user`` in ``request.org``. Renders nothing outside an org."""
    request = context.get("request")
    org = getattr(request, "org", None)
    user = getattr(request, "user", None)
    if org is None or user is None or not user.is_authenticated:
        return {"org": None}
    return {"org": org, "unread": unread_count(org, user)}
