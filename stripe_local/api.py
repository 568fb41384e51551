"""The local Stripe's REST API under /local-stripe/v1/: the calls Personae and dj-stripe make.

Requests need the local secret key as a Bearer token, like Stripe's. Writes honour the
Idempotency-Key header: a repeated key returns the first answer (how a double-clicked button makes
one Checkout Session).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from stripe_local import connect, engine, payments
from stripe_local.engine import StripeError, get, listing, public
from stripe_local.forms import decode
from stripe_local.models import StripeObject

# GET /v1/<plural>/<id> for these object kinds.
RETRIEVABLE = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "subscriptions": "subscription",
    "subscription_schedules": "subscription_schedule",
    "invoices": "invoice",
    "charges": "charge",
    "payment_intents": "payment_intent",
    "refunds": "refund",
    "disputes": "dispute",
    "events": "event",
    "checkout/sessions": "checkout.session",
    "billing_portal/sessions": "billing_portal.session",
    "transfers": "transfer",
}
LIST_FILTERS = {
    "customer": ["customer"],
    "product": ["active", "email"],
    "price": ["product", "active", "lookup_key", "type"],
    "subscription": ["customer", "status"],
    "invoice": ["customer", "status"],
    "charge": ["customer", "payment_intent"],
    "event": ["type"],
    "checkout.session": ["customer", "status"],
    "transfer": ["destination"],
}

CREATORS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "customers": engine.customer_create,
    "products": engine.product_create,
    "prices": engine.price_create,
    "checkout/sessions": payments.checkout_session_create,
    "billing_portal/sessions": payments.portal_session_create,
    "refunds": payments.refund_create,
    "accounts": connect.account_create,
    "account_links": connect.account_link_create,
    "transfers": connect.transfer_create,
}
UPDATABLE = {
    "customer": ("email", "name", "description", "metadata", "invoice_settings"),
    "product": ("name", "description", "metadata", "active"),
    "price": ("nickname", "metadata", "active", "lookup_key"),
}


def _error(exc: StripeError) -> JsonResponse:
    return JsonResponse(exc.body(), status=exc.status)


def _authorised(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    return header == f"Bearer {settings.STRIPE_SECRET_KEY}"


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.method == "GET":
        return decode(request.META.get("QUERY_STRING", ""))
    return decode(request.body.decode())


def _idempotent(request: HttpRequest, path: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    key = request.headers.get("Idempotency-Key")
    if not key:
        return make()
    record_id = f"idem_{key}"[:100]
    existing = StripeObject.objects.filter(id=record_id, kind="idempotency_key").first()
    if existing is not None:
        if existing.data["path"] != path:
            raise StripeError(
                "Keys for idempotent requests can only be used for the same endpoint.", code="idempotency_error"
            )
        return get(existing.data["result"])
    result = make()
    engine.save({"id": record_id, "object": "idempotency_key", "path": path, "result": result["id"]})
    return result


@csrf_exempt
@login_not_required
def dispatch(request: HttpRequest, resource: str) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse(
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided (local test-mode Stripe).",
                }
            },
            status=401,
        )
    try:
        with transaction.atomic():
            return JsonResponse(_route(request, resource.strip("/")))
    except StripeError as exc:
        return _error(exc)


def _route(request: HttpRequest, path: str) -> dict[str, Any]:
    method = request.method
    params = _params(request)
    if path == "account" or path == f"accounts/{engine.ACCOUNT_ID}":
        return engine.account()
    if method == "GET" and path.startswith("accounts/"):
        return public(connect.connected(path.removeprefix("accounts/")))
    if method == "POST" and path in CREATORS:
        return public(_idempotent(request, path, lambda: CREATORS[path](params)))
    if method == "GET" and path in RETRIEVABLE:
        kind = RETRIEVABLE[path]
        filters = {k: params.get(k) for k in LIST_FILTERS.get(kind, []) if k in params}
        for key in ("active",):
            if key in filters:
                filters[key] = str(filters[key]).lower() == "true"
        result = listing(kind, url=f"/v1/{path}", limit=int(params.get("limit", 100)), **filters)
        if params.get("lookup_keys"):
            result["data"] = [o for o in result["data"] if o.get("lookup_key") in params["lookup_keys"]]
        return result
    head, _, object_id = path.rpartition("/")
    action = ""
    if head not in RETRIEVABLE:
        # /v1/<plural>/<id>/<action>
        head, _, rest = path.partition("/")
        if head in {"checkout", "billing_portal"}:
            head2, _, rest = rest.partition("/")
            head = f"{head}/{head2}"
        object_id, _, action = rest.partition("/")
    if head not in RETRIEVABLE:
        raise StripeError(f"Unrecognized request URL (GET: /v1/{path}) — the local Stripe doesn't do this.", status=404)
    kind = RETRIEVABLE[head]
    if method == "GET" and not action:
        return public(get(object_id, kind))
    if method == "POST" and head == "checkout/sessions" and action == "expire":
        return public(payments.checkout_session_expire(object_id))
    if method == "POST" and kind == "subscription" and not action:
        return public(payments.subscription_update(object_id, params))
    if method == "DELETE" and kind == "subscription":
        return public(payments.subscription_cancel(object_id))
    if method == "POST" and kind in UPDATABLE and not action:
        return public(engine.update(object_id, kind, params, UPDATABLE[kind]))
    if method == "GET" and kind == "invoice" and action == "lines":
        return get(object_id, "invoice")["lines"]
    if method == "GET" and action:
        # Sub-lists the local Stripe keeps empty (a product's features, a customer's tax ids, …).
        get(object_id, kind)
        return {"object": "list", "url": f"/v1/{path}", "has_more": False, "data": []}
    raise StripeError(f"The local Stripe doesn't support {method} /v1/{path}.", status=404)


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(public(data))
