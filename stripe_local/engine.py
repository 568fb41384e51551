"""The local Stripe's behaviour: objects shaped like Stripe's (API version 2026-05-27.dahlia, the
one dj-stripe is pinned to), the state changes a payment causes, and the events they send.

Only what Personae uses is here: customers, products and prices, Checkout Sessions (subscription
and one-time payment), subscriptions with monthly periods, invoices, payment intents and charges,
refunds, disputes, billing portal sessions and events. Test-mode helpers move a subscription to its
next period (renewal, failed renewal, or the end of a cancelled plan) and open a dispute.
"""

from __future__ import annotations

import secrets
import time
from calendar import monthrange
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from stripe_local.models import StripeObject

ACCOUNT_ID = "acct_localpersonae0001"
# The test-mode card outcomes the checkout page offers.
OUTCOME_SUCCESS, OUTCOME_DECLINE, OUTCOME_ASYNC = "success", "decline", "async"


class StripeError(Exception):
    """An API error: answered with Stripe's error JSON and this HTTP status."""

    def __init__(self, message: str, *, status: int = 400, code: str = "", param: str = ""):
        super().__init__(message)
        self.status, self.code, self.param = status, code, param

    def body(self) -> dict[str, Any]:
        kind = "invalid_request_error" if self.status != 402 else "card_error"
        error = {"type": kind, "message": str(self), "code": self.code or None, "param": self.param or None}
        return {"error": error}


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def now() -> int:
    return int(time.time())


def add_month(ts: int) -> int:
    """The same day and time next month (the last day when next month is shorter)."""
    d = datetime.fromtimestamp(ts, UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return int(d.replace(year=year, month=month, day=min(d.day, monthrange(year, month)[1])).timestamp())


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- Storage ---------------------------------------------------------------------------------------


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The object as the API shows it: without the local Stripe's private bookkeeping."""
    return {k: v for k, v in data.items() if not k.startswith("_")}


def save(data: dict[str, Any]) -> dict[str, Any]:
    StripeObject.objects.update_or_create(id=data["id"], defaults={"kind": data["object"], "data": data})
    return data


def get(object_id: str, kind: str | None = None, *, lock: bool = False) -> dict[str, Any]:
    qs = StripeObject.objects.filter(id=object_id)
    if kind:
        qs = qs.filter(kind=kind)
    if lock:
        qs = qs.select_for_update()
    row = qs.first()
    if row is None:
        raise StripeError(f"No such {kind or 'object'}: '{object_id}'", status=404, code="resource_missing", param="id")
    return row.data


def listing(kind: str, *, url: str, limit: int = 10, **filters: Any) -> dict[str, Any]:
    rows = StripeObject.objects.filter(kind=kind).order_by("-created_at", "-id")
    items = [public(r.data) for r in rows]
    for key, value in filters.items():
        if value not in (None, ""):
            items = [o for o in items if _lookup(o, key) == value]
    return {"object": "list", "url": url, "has_more": len(items) > limit, "data": items[:limit]}


def _lookup(obj: dict[str, Any], dotted: str) -> Any:
    node: Any = obj
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def emit(event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Record an event with a snapshot of ``obj``; it is delivered to the webhook after commit."""
    data: dict[str, Any] = {"object": public(obj)}
    if previous:
        data["previous_attributes"] = previous
    event = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": settings.STRIPE_API_VERSION,
        "created": now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "account": ACCOUNT_ID,
    }
    save(event)
    from stripe_local.delivery import deliver_after_commit

    deliver_after_commit()
    return event


# --- Account, customers, catalogue -------------------------------------------------------------------


def account() -> dict[str, Any]:
    return {
        "id": ACCOUNT_ID,
        "object": "account",
        "business_profile": {"name": "Personae (local test mode)", "support_email": None, "url": None},
        "business_type": "company",
        "charges_enabled": True,
        "country": "US",
        "created": 1_700_000_000,
        "default_currency": "usd",
        "details_submitted": True,
        "email": "billing@personae.local",
        "payouts_enabled": True,
        "settings": {
            "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
            "dashboard": {"display_name": "Personae (local test mode)", "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": "PERSONAE TEST"},
        },
        "type": "standard",
        "metadata": {},
    }


def customer_create(params: dict[str, Any]) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "id": new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "email": params.get("email"),
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "name": params.get("name"),
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
    }
    save(customer)
    emit("customer.created", customer)
    return customer


def update(object_id: str, kind: str, params: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    obj = get(object_id, kind, lock=True)
    for key in fields:
        if key in params:
            value = params[key]
            if key == "metadata":
                value = {**obj.get("metadata", {}), **value}
            elif key == "active":
                value = str(value).lower() == "true"
            obj[key] = value
    save(obj)
    emit(f"{kind}.updated", obj)
    return obj


def product_create(params: dict[str, Any]) -> dict[str, Any]:
    product = {
        "id": params.get("id") or new_id("prod"),
        "object": "product",
        "active": str(params.get("active", "true")).lower() == "true",
        "created": now(),
        "default_price": None,
        "description": params.get("description") or None,
        "images": [],
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "name": params["name"],
        "type": "service",
        "updated": now(),
        "url": None,
    }
    save(product)
    emit("product.created", product)
    return product


def price_create(params: dict[str, Any]) -> dict[str, Any]:
    get(params["product"], "product")
    recurring = params.get("recurring")
    price = {
        "id": new_id("price"),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": now(),
        "currency": params.get("currency", "usd"),
        "livemode": False,
        "lookup_key": params.get("lookup_key"),
        "metadata": params.get("metadata") or {},
        "nickname": params.get("nickname"),
        "product": params["product"],
        "recurring": (
            {"interval": recurring.get("interval", "month"), "interval_count": 1, "usage_type": "licensed"}
            if recurring
            else None
        ),
        "tax_behavior": "unspecified",
        "type": "recurring" if recurring else "one_time",
        "unit_amount": int(params["unit_amount"]),
        "unit_amount_decimal": str(params["unit_amount"]),
    }
    if price["lookup_key"] and str(params.get("transfer_lookup_key", "")).lower() == "true":
        for row in StripeObject.objects.filter(kind="price"):
            if row.data.get("lookup_key") == price["lookup_key"]:
                row.data["lookup_key"] = None
                row.save(update_fields=["data", "updated_at"])
    save(price)
    emit("price.created", price)
    return price
