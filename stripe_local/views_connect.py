"""The local Stripe's Express onboarding page: what an account link opens.

It stands in for the form Stripe hosts for a connected account: reached by the link's unguessable
id rather than a login, it says plainly that this is test mode. Finishing makes the account able to
receive transfers and returns to the link's return URL; leaving goes to its refresh URL.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stripe_local import connect
from stripe_local.engine import StripeError, get, now


@login_not_required
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest, link_id: str) -> HttpResponse:
    try:
        link = get(link_id, "account_link")
        account = connect.connected(link["_account"])
    except StripeError:
        raise Http404 from None
    if link["expires_at"] < now() and request.method == "GET":
        # Like Stripe: an expired link sends the person to the refresh URL for a fresh one.
        return redirect(link["_refresh_url"])
    if request.method == "POST":
        if request.POST.get("action") == "finish":
            with transaction.atomic():
                connect.onboarding_complete(account["id"])
            return redirect(link["_return_url"])
        return redirect(link["_refresh_url"])
    return render(request, "stripe_local/connect_onboarding.html", {"account": account})
