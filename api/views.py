"""Settings → Developers: API keys (made, shown once, revoked) and webhook endpoints with their
delivery log. For owners and admins."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from api import keys, selectors, webhooks
from api.forms import ApiKeyForm, WebhookForm
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from orgs.decorators import org_view
from orgs.models import Role

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
