"""Settings → Developers: API keys (made, shown once, revoked) and webhook endpoints with their
delivery log. For owners and admins."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from api import keys, selectors, webhooks
from api.forms import ApiKeyForm, WebhookForm
from api.models import Scope
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from orgs.decorators import org_view
from orgs.models import Role
from orgs.selectors import memberships_for_user

# The whole key, between the POST that made it and the one page that shows it.
ONCE = "api_key_once"


def _page(request: OrgHttpRequest, *, key_form=None, webhook_form=None, status: int = 200) -> HttpResponse:
    shown = request.session.pop(ONCE, None)
    return render(
        request,
        "api/developers.html",
        {
            "keys": selectors.api_keys(request.org),
            "new_key": shown,
            "key_form": key_form or ApiKeyForm(),
            "endpoints": selectors.endpoints(request.org),
            "deliveries": selectors.recent_deliveries(request.org),
            "webhook_form": webhook_form or WebhookForm(),
            "rate_limit": settings.API_RATE_LIMIT_PER_MINUTE,
        },
        status=status,
    )


@require_GET
@org_view(Role.ADMIN)
def developers(request: OrgHttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@org_view(Role.ADMIN)
def api_key_create(request: OrgHttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, key_form=form, status=400)
    days = form.cleaned_data["expires_in"]
    try:
        key, whole = keys.api_key_create(
            org=request.org,
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
            request=request,
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, key_form=form, status=400)
    request.session[ONCE] = {"name": key.name, "key": whole}
    return redirect("orgs:developers", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def api_key_revoke(request: OrgHttpRequest, public_id) -> HttpResponse:
    key = selectors.api_key_or_404(request.org, public_id)
    keys.api_key_revoke(key=key, user=request.user, request=request)
    messages.success(request, f"“{key.name}” is revoked: requests with it are refused from now on.")
    return redirect("orgs:developers", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def webhook_create(request: OrgHttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _page(request, webhook_form=form, status=400)
    try:
        endpoint = webhooks.endpoint_create(
            org=request.org,
            user=request.user,
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, webhook_form=form, status=400)
    messages.success(request, f"Webhooks will go to {endpoint.url}. Send a test event to check your receiver.")
    return redirect(reverse("orgs:developers", args=[request.org.slug]) + "#webhooks")


@require_POST
@org_view(Role.ADMIN)
def webhook_delete(request: OrgHttpRequest, public_id) -> HttpResponse:
    endpoint = selectors.endpoint_or_404(request.org, public_id)
    webhooks.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"{endpoint.url} won't receive webhooks any more.")
    return redirect("orgs:developers", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def webhook_test(request: OrgHttpRequest, public_id) -> HttpResponse:
    endpoint = selectors.endpoint_or_404(request.org, public_id)
    webhooks.test_event(endpoint=endpoint)
    messages.success(request, f"A test event is on its way to {endpoint.url}; its delivery is in the log below.")
    return redirect("orgs:developers", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def webhook_resend(request: OrgHttpRequest, public_id) -> HttpResponse:
    delivery = selectors.delivery_or_404(request.org, public_id)
    webhooks.delivery_resend(delivery=delivery)
    messages.success(request, f"The {delivery.event_type} event is being sent again to {delivery.endpoint.url}.")
    return redirect("orgs:developers", request.org.slug)


# --- The browser extension's connect page ------------------------------------------------------

# What the extension's key may do: read the library, save to it, extract styles (spends credits).
EXTENSION_SCOPES = [Scope.READ, Scope.ASSETS_WRITE, Scope.GENERATE]
EXTENSION_KEY_NAME = "Style Extractor (Chrome)"


@require_GET
@login_required
def extension_connect(request: HttpRequest) -> HttpResponse:
    """Pick the organisation the extension saves to; approving makes its key."""
    assert isinstance(request.user, User)  # login_required
    memberships = [m for m in memberships_for_user(request.user) if m.has_role(Role.MEMBER)]
    return render(request, "api/extension_connect.html", {"memberships": memberships})


@never_cache
@require_POST
@org_view(Role.MEMBER)
def extension_connect_approve(request: OrgHttpRequest) -> HttpResponse:
    """Make the extension's key and hand it over on this page (to the extension's content script,
    or by its id with chrome.runtime.sendMessage); the key is also shown to paste by hand."""
    key, whole = keys.api_key_create(
        org=request.org, user=request.user, name=EXTENSION_KEY_NAME, scopes=list(EXTENSION_SCOPES), request=request
    )
    handover = {
        "apiKey": whole,
        "org": request.org.name,
        "orgSlug": request.org.slug,
        "api": request.build_absolute_uri("/api/v1/").rstrip("/"),
        "extensionId": settings.EXTENSION_ID,
    }
    return render(request, "api/extension_connected.html", {"key": key, "whole": whole, "handover": handover})
