"""The local Stripe's pages: its test-mode Checkout, customer portal and invoice.

They stand in for the pages Stripe hosts. Like Stripe's, they are reached by an unguessable link
(the session or invoice id) rather than a login. Every one says plainly that this is test mode and
no card is charged.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stripe_local import payments
from stripe_local.engine import OUTCOME_ASYNC, StripeError, get, public
from stripe_local.models import StripeObject


def _object(object_id: str, kind: str) -> dict:
    try:
        return get(object_id, kind)
    except StripeError:
        raise Http404 from None


def _price_view(price: dict) -> dict:
    product = get(price["product"], "product")
    return {
        "name": product["name"],
        "description": product.get("description") or "",
        "amount": price["unit_amount"] / 100,
        "recurring": bool(price.get("recurring")),
    }


@login_not_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    session = _object(session_id, "checkout.session")
    error = ""
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        try:
            payments.raise_for_outcome(outcome)
            with transaction.atomic():
                session = payments.checkout_pay(session_id, outcome)
            if outcome == OUTCOME_ASYNC:
                from stripe_local.tasks import settle_async_payment

                transaction.on_commit(lambda: settle_async_payment.apply_async([session_id], countdown=3))
            return redirect(session["success_url"])
        except StripeError as exc:
            error = str(exc)
            session = _object(session_id, "checkout.session")
    return render(
        request,
        "stripe_local/checkout.html",
        {"session": public(session), "item": _price_view(get(session["_price"], "price")), "error": error},
        status=402 if error else 200,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def portal(request: HttpRequest, session_id: str) -> HttpResponse:
    session = _object(session_id, "billing_portal.session")
    customer_id = session["customer"]
    subs = [
        row.data
        for row in StripeObject.objects.filter(kind="subscription").order_by("-created_at")
        if row.data["customer"] == customer_id and row.data["status"] != "canceled"
    ]
    sub = subs[0] if subs else None
    if request.method == "POST" and sub is not None:
        action = request.POST.get("action")
        with transaction.atomic():
            if action == "cancel":
                payments.subscription_update(sub["id"], {"cancel_at_period_end": "true"})
            elif action == "resume":
                payments.subscription_update(sub["id"], {"cancel_at_period_end": "false"})
            elif action == "switch":
                price = _object(request.POST.get("price", ""), "price")
                current = sub["items"]["data"][0]["price"]
                if price["unit_amount"] > current["unit_amount"]:
                    payments.subscription_update(sub["id"], {"items": [{"price": price["id"]}]})
                else:
                    payments.subscription_change_at_period_end(sub["id"], price["id"])
        return redirect(request.path)
    plans = []
    if sub is not None:
        current_id = sub["items"]["data"][0]["price"]["id"]
        for row in StripeObject.objects.filter(kind="price").order_by("created_at"):
            price = row.data
            if price.get("recurring") and price.get("active") and price["currency"] == sub["currency"]:
                plans.append(
                    {
                        **_price_view(price),
                        "id": price["id"],
                        "current": price["id"] == current_id,
                        "next": price["id"] == sub.get("_next_price"),
                    }
                )
        plans.sort(key=lambda p: p["amount"])
    invoices = [
        public(row.data)
        for row in StripeObject.objects.filter(kind="invoice").order_by("-created_at")
        if row.data["customer"] == customer_id
    ]
    return render(
        request,
        "stripe_local/portal.html",
        {"session": session, "sub": sub, "plans": plans, "invoices": invoices[:12]},
    )


@login_not_required
def invoice(request: HttpRequest, invoice_id: str) -> HttpResponse:
    data = public(_object(invoice_id, "invoice"))
    return render(request, "stripe_local/invoice.html", {"invoice": data, "print": "print" in request.GET})
