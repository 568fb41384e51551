"""Billing pages that move money: start Checkout for a plan or a top-up, open the customer portal,
and the pages Checkout and the portal return to, which wait for Stripe's webhooks to be applied."""

from __future__ import annotations

import time

import stripe
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from billing import checkout, stripe_setup, stripe_webhooks
from billing.models import LedgerEntry, Plan
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from orgs.decorators import org_view
from orgs.models import Role


def _refused(request: OrgHttpRequest, exc: DomainError) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("orgs:billing", request.org.slug)


@require_POST
@org_view(min_role=Role.OWNER)
def subscribe(request: OrgHttpRequest) -> HttpResponse:
    plan = Plan.objects.filter(slug=request.POST.get("plan"), is_public=True).first()
    if plan is None:
        raise Http404
    try:
        return redirect(checkout.subscription_checkout_url(request.org, plan, request.POST.get("nonce", "")))
    except DomainError as exc:
        return _refused(request, exc)


@require_POST
@org_view(min_role=Role.ADMIN)
def buy_topup(request: OrgHttpRequest) -> HttpResponse:
    topup = checkout.TOPUPS_BY_SLUG.get(request.POST.get("pack", ""))
    if topup is None:
        raise Http404
    try:
        return redirect(checkout.topup_checkout_url(request.org, topup, request.POST.get("nonce", "")))
    except DomainError as exc:
        return _refused(request, exc)


@require_POST
@org_view(min_role=Role.OWNER)
def portal(request: OrgHttpRequest) -> HttpResponse:
    return redirect(checkout.portal_url(request.org))


@require_GET
@org_view()
def checkout_done(request: OrgHttpRequest) -> HttpResponse:
    """Back from Checkout. The payment counts only when Stripe's webhook has said so; until then the
    page says it is being confirmed and checks again every two seconds."""
    session_id = request.GET.get("session_id", "")
    if not session_id.startswith("cs_"):
        return redirect("orgs:billing", request.org.slug)
    row = stripe_setup.summary(request.org)
    session = stripe.checkout.Session.retrieve(session_id, **stripe_setup.api_options())
    if session.customer != row.stripe_customer_id:
        raise Http404
    topup = LedgerEntry.objects.filter(org_id=request.org.pk, idempotency_key=f"stripe-checkout:{session_id}").first()
    confirmed = topup is not None
    if session.mode == "subscription" and session.to_dict().get("invoice"):
        confirmed = LedgerEntry.objects.filter(
            org_id=request.org.pk, idempotency_key=f"stripe-invoice:{session.invoice}"
        ).exists()
    context = {"confirmed": confirmed, "topup": topup, "summary": row, "session_id": session_id}
    template = "billing/_checkout_status.html" if request.htmx else "billing/checkout_done.html"
    response = render(request, template, context)
    if request.htmx and confirmed:
        response.status_code = 286  # stops the poll; the credits pill refreshes (billing.middleware)
    return response


PORTAL_WAIT_SECONDS = 60


@require_GET
@org_view()
def portal_done(request: OrgHttpRequest) -> HttpResponse:
    """Back from the customer portal. A change made there reaches Personae by webhook; until the
    worker has applied every update Stripe sent about this customer, the page says so and checks
    again every two seconds, then shows the plan and balance as they now are."""
    row = stripe_setup.summary(request.org)
    try:
        since = float(request.GET.get("since", ""))
    except ValueError:
        since = time.time()
    waiting = stripe_webhooks.waiting_for_customer(row.stripe_customer_id)
    if not waiting and not request.htmx:
        return redirect("orgs:billing", request.org.slug)
    context = {"waiting": waiting, "slow": time.time() - since > PORTAL_WAIT_SECONDS, "since": int(since)}
    template = "billing/_portal_status.html" if request.htmx else "billing/portal_done.html"
    response = render(request, template, context)
    if request.htmx and not waiting:
        response.status_code = 286  # stops the poll; the credits pill refreshes (billing.middleware)
    return response
