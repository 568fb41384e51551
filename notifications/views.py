"""The notifications page: newest first, mark one or all read, each links to what it is about; the
bell's live count; and each person's choice of what is also emailed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import OrgHttpRequest
from notifications import kinds, selectors, services
from orgs.decorators import org_view


@require_GET
@org_view()
def notification_list(request: OrgHttpRequest):
    items = selectors.notifications_for(request.org, request.user)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    unread = selectors.unread_count(request.org, request.user)
    return render(request, "notifications/list.html", {"page": page, "unread": unread})


@require_POST
@org_view(while_deleting=True)  # reading one's notifications changes nothing of the organisation
def notification_read(request: OrgHttpRequest, public_id):
    """Mark one read, then open what it is about (or come back to the list)."""
    notification = selectors.notification_get(request.org, request.user, public_id)
    if notification is None:
        raise Http404
    services.notification_read(notification=notification)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("notifications:list", request.org.slug)


@require_POST
@org_view(while_deleting=True)
def notifications_read_all(request: OrgHttpRequest):
    services.notifications_read_all(org=request.org, user=request.user)
    return redirect("notifications:list", request.org.slug)


@require_GET
@org_view(while_deleting=True)
def bell(request: OrgHttpRequest):
    """The top bar's bell, polled for a live unread count."""
    unread = selectors.unread_count(request.org, request.user)
    return render(request, "notifications/_bell.html", {"org": request.org, "unread": unread})


@require_http_methods(["GET", "POST"])
@org_view(while_deleting=True)  # one's own email choices change nothing of the organisation
def preferences(request: OrgHttpRequest):
    """Which notifications are also emailed to me: one switch per kind (every kind of job, low
    credits). In the app they always appear."""
    if request.method == "POST":
        wanted = set(request.POST.getlist("email"))
        services.preferences_set(user=request.user, email={k.key: k.key in wanted for k in kinds.kinds()})
        messages.success(request, "Saved. Notifications still appear here in the app whatever you choose.")
        return redirect("notifications:preferences", request.org.slug)
    rows = [(kind, services.email_wanted(request.user, kind.key)) for kind in kinds.kinds()]
    return render(request, "notifications/preferences.html", {"rows": rows})
