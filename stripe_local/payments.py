"""What paying does in the local Stripe: Checkout Sessions, subscriptions and their invoices,
one-time payments with their charge, refunds, disputes, the billing portal, and moving a
subscription to its next period. Each change sends the events real Stripe sends for it."""

from __future__ import annotations

from typing import Any

from stripe_local.engine import (
    OUTCOME_ASYNC,
    OUTCOME_DECLINE,
    StripeError,
    add_month,
    emit,
    get,
    new_id,
    now,
    public,
    save,
    site_url,
)

# --- Checkout Sessions ------------------------------------------------------------------------------


def checkout_session_create(params: dict[str, Any]) -> dict[str, Any]:
    mode = params.get("mode")
    if mode not in {"subscription", "payment"}:
        raise StripeError("mode must be subscription or payment here.", param="mode")
    items = params.get("line_items") or []
    if len(items) != 1:
        raise StripeError("The local Stripe takes exactly one line item.", param="line_items")
    price = get(items[0]["price"], "price")
    if (price["type"] == "recurring") != (mode == "subscription"):
        raise StripeError(f"Price {price['id']} doesn't fit mode={mode}.", param="line_items[0][price]")
    customer = params.get("customer")
    if customer:
        get(customer, "customer")
    session_id = new_id("cs_test")
    session = {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": price["unit_amount"],
        "amount_total": price["unit_amount"],
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "created": now(),
        "currency": price["currency"],
        "customer": customer,
        "customer_email": params.get("customer_email"),
        "expires_at": now() + 24 * 3600,
        "invoice": None,
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "mode": mode,
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "subscription": None,
        "success_url": (params.get("success_url") or "").replace("{CHECKOUT_SESSION_ID}", session_id),
        "url": site_url(f"/local-stripe/checkout/{session_id}/"),
        "_price": price["id"],
        "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        "_payment_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
        "_declines": 0,
    }
    return save(session)


def checkout_session_expire(session_id: str) -> dict[str, Any]:
    session = get(session_id, "checkout.session", lock=True)
    if session["status"] != "open":
        raise StripeError(f"Session {session_id} is {session['status']}, not open.")
    session["status"], session["url"] = "expired", None
    save(session)
    emit("checkout.session.expired", session)
    return session


def checkout_pay(session_id: str, outcome: str) -> dict[str, Any]:
    """The person pays on the test-mode checkout page: a card that works, a card that is declined,
    or a bank payment that settles later (``checkout_settle_async``)."""
    session = get(session_id, "checkout.session", lock=True)
    if session["status"] != "open":
        raise StripeError(f"This checkout is {session['status']}; start again from Personae.")
    if outcome == OUTCOME_DECLINE:
        session["_declines"] += 1
        save(session)
        raise StripeError("Your card was declined. Try the test card that works.", status=402, code="card_declined")
    price = get(session["_price"], "price")
    customer_id = session["customer"] or _customer_for_session(session)
    session["customer"] = customer_id
    session["status"] = "complete"
    session["url"] = None
    if session["mode"] == "subscription":
        subscription, invoice = _subscription_start(session, price, customer_id)
        session["subscription"], session["invoice"] = subscription["id"], invoice["id"]
        session["payment_status"] = "paid"
        save(session)
        emit("checkout.session.completed", session)
        return session
    intent, charge = _payment(customer_id, price, session["_payment_metadata"], settled=outcome != OUTCOME_ASYNC)
    session["payment_intent"] = intent["id"]
    session["payment_status"] = "unpaid" if outcome == OUTCOME_ASYNC else "paid"
    session["_charge"] = charge["id"]
    save(session)
    emit("checkout.session.completed", session)
    return session


def checkout_settle_async(session_id: str, *, succeeded: bool = True) -> dict[str, Any]:
    """The delayed bank payment of a checkout settles (or fails)."""
    session = get(session_id, "checkout.session", lock=True)
    if session["payment_status"] != "unpaid" or session["status"] != "complete":
        return session
    intent = get(session["payment_intent"], "payment_intent", lock=True)
    charge = get(session["_charge"], "charge", lock=True)
    if succeeded:
        intent["status"], charge["status"], charge["paid"] = "succeeded", "succeeded", True
        session["payment_status"] = "paid"
        save(intent)
        save(charge)
        save(session)
        emit("charge.succeeded", charge)
        emit("payment_intent.succeeded", intent)
        emit("checkout.session.async_payment_succeeded", session)
    else:
        intent["status"], charge["status"] = "requires_payment_method", "failed"
        save(intent)
        save(charge)
        emit("checkout.session.async_payment_failed", session)
    return session


def _customer_for_session(session: dict[str, Any]) -> str:
    from stripe_local.engine import customer_create

    return customer_create({"email": session.get("customer_email"), "metadata": session["metadata"]})["id"]


# --- Payments -----------------------------------------------------------------------------------------


def _payment(customer_id: str, price: dict[str, Any], metadata: dict[str, Any], *, settled: bool):
    amount = price["unit_amount"]
    intent = {
        "id": new_id("pi"),
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if settled else 0,
        "capture_method": "automatic",
        "confirmation_method": "automatic",
        "created": now(),
        "currency": price["currency"],
        "customer": customer_id,
        "description": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": "succeeded" if settled else "processing",
    }
    charge = {
        "id": new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "captured": True,
        "created": now(),
        "currency": price["currency"],
        "customer": customer_id,
        "description": None,
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": metadata,
        "outcome": {"network_status": "approved_by_network", "type": "authorized", "seller_message": "Test mode"},
        "paid": settled,
        "payment_intent": intent["id"],
        "payment_method": None,
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        "receipt_url": None,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False},
        "status": "succeeded" if settled else "pending",
    }
    intent["latest_charge"] = charge["id"]
    save(intent)
    save(charge)
    if settled:
        emit("charge.succeeded", charge)
        emit("payment_intent.succeeded", intent)
    return intent, charge


def refund_create(params: dict[str, Any]) -> dict[str, Any]:
    charge_id = params.get("charge")
    if not charge_id and params.get("payment_intent"):
        charge_id = get(params["payment_intent"], "payment_intent")["latest_charge"]
    if not charge_id:
        raise StripeError("Give a charge or a payment_intent to refund.", param="charge")
    charge = get(charge_id, "charge", lock=True)
    left = charge["amount"] - charge["amount_refunded"]
    amount = int(params.get("amount") or left)
    if amount <= 0 or amount > left:
        raise StripeError(
            f"Charge {charge_id} has {left} left to refund.", param="amount", code="charge_already_refunded"
        )
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge_id,
        "created": now(),
        "currency": charge["currency"],
        "metadata": params.get("metadata") or {},
        "payment_intent": charge["payment_intent"],
        "reason": params.get("reason"),
        "status": "succeeded",
    }
    save(refund)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    charge["refunds"]["data"].insert(0, refund)
    save(charge)
    emit("charge.refunded", charge, previous={"amount_refunded": charge["amount_refunded"] - amount})
    return refund


def dispute_open(charge_id: str) -> dict[str, Any]:
    """Test helper: the card holder disputes a charge with their bank."""
    charge = get(charge_id, "charge", lock=True)
    dispute = {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": charge["amount"] - charge["amount_refunded"],
        "balance_transactions": [],
        "charge": charge_id,
        "created": now(),
        "currency": charge["currency"],
        "evidence": {},
        "evidence_details": {
            "due_by": now() + 7 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": "fraudulent",
        "status": "needs_response",
    }
    save(dispute)
    charge["disputed"] = True
    save(charge)
    emit("charge.dispute.created", dispute)
    return dispute


# --- Subscriptions and invoices ---------------------------------------------------------------------


def _subscription_start(session, price, customer_id):
    start = now()
    sub_id = new_id("sub")
    sub = {
        "id": sub_id,
        "object": "subscription",
        "billing_cycle_anchor": start,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": start,
        "currency": price["currency"],
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": None,
        "ended_at": None,
        "items": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": session["_subscription_metadata"],
        "schedule": None,
        "start_date": start,
        "status": "active",
        "trial_end": None,
        "trial_start": None,
        "_next_price": None,
    }
    _set_price(sub, price, start, add_month(start))
    invoice = _invoice(sub, price, "subscription_create", start)
    sub["latest_invoice"] = invoice["id"]
    save(sub)
    emit("customer.subscription.created", sub)
    emit("invoice.created", invoice)
    return sub, _invoice_pay(invoice)


def _set_price(sub, price, period_start, period_end):
    item_id = sub["items"]["data"][0]["id"] if sub["items"]["data"] else new_id("si")
    sub["items"]["data"] = [
        {
            "id": item_id,
            "object": "subscription_item",
            "created": sub["created"],
            "current_period_end": period_end,
            "current_period_start": period_start,
            "metadata": {},
            "price": public(price),
            "quantity": 1,
            "subscription": sub["id"],
        }
    ]
    sub["current_period_start"], sub["current_period_end"] = period_start, period_end


def _invoice(sub, price, reason: str, period_start: int, *, lines=None) -> dict[str, Any]:
    period_end = add_month(period_start)
    lines = lines or [(price, price["unit_amount"], f"1 × {price.get('nickname') or 'Plan'} (per month)")]
    invoice_id = new_id("in")
    total = sum(amount for _, amount, _ in lines)
    invoice = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "amount_due": total,
        "amount_paid": 0,
        "amount_remaining": total,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "created": now(),
        "currency": price["currency"],
        "customer": sub["customer"],
        "hosted_invoice_url": site_url(f"/local-stripe/invoices/{invoice_id}/"),
        "invoice_pdf": site_url(f"/local-stripe/invoices/{invoice_id}/?print=1"),
        "lines": {
            "object": "list",
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
            "data": [
                {
                    "id": new_id("il"),
                    "object": "line_item",
                    "amount": amount,
                    "currency": line_price["currency"],
                    "description": description,
                    "metadata": {},
                    "period": {"start": period_start, "end": period_end},
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": line_price["id"], "product": line_price["product"]},
                    },
                    "quantity": 1,
                }
                for line_price, amount, description in lines
            ],
        },
        "livemode": False,
        "metadata": {},
        "number": f"LOCAL-{invoice_id[-6:].upper()}",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]},
        },
        "period_start": period_start,
        "period_end": period_end,
        "status": "open",
        "subtotal": total,
        "total": total,
    }
    return save(invoice)


def _invoice_pay(invoice) -> dict[str, Any]:
    invoice["status"], invoice["paid"] = "paid", True
    invoice["amount_paid"], invoice["amount_remaining"] = invoice["amount_due"], 0
    invoice["attempt_count"], invoice["attempted"] = invoice["attempt_count"] + 1, True
    invoice["status_transitions"] = {"paid_at": now(), "finalized_at": now()}
    save(invoice)
    emit("invoice.finalized", invoice)
    emit("invoice.paid", invoice)
    emit("invoice.payment_succeeded", invoice)
    return invoice


def _invoice_fail(invoice, sub) -> dict[str, Any]:
    invoice["attempt_count"], invoice["attempted"] = invoice["attempt_count"] + 1, True
    invoice["next_payment_attempt"] = now() + 3 * 86400
    save(invoice)
    emit("invoice.finalized", invoice)
    emit("invoice.payment_failed", invoice)
    previous = {"status": sub["status"]}
    sub["status"] = "past_due"
    save(sub)
    emit("customer.subscription.updated", sub, previous=previous)
    return invoice


def subscription_update(sub_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Change the price now (an upgrade, charged for the rest of the period at once), or at the end
    of the period (``_next_price``, how a downgrade is scheduled), or cancel at the period end."""
    sub = get(sub_id, "subscription", lock=True)
    if sub["status"] == "canceled":
        raise StripeError(f"Subscription {sub_id} is canceled.")
    previous: dict[str, Any] = {}
    if "cancel_at_period_end" in params:
        value = str(params["cancel_at_period_end"]).lower() == "true"
        previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
        sub["cancel_at_period_end"] = value
        if value:
            _schedule_release(sub)  # ending the plan drops a scheduled change
        sub["cancel_at"] = sub["current_period_end"] if value else None
        sub["canceled_at"] = now() if value else None
    items = params.get("items")
    if items:
        new_price = get(items[0]["price"], "price")
        old_price = sub["items"]["data"][0]["price"]
        if new_price["id"] != old_price["id"]:
            previous["items"] = sub["items"]
            _schedule_release(sub)
            _set_price(sub, new_price, sub["current_period_start"], sub["current_period_end"])
            lines = [
                (old_price, -old_price["unit_amount"], f"Unused time on {old_price.get('nickname') or 'the old plan'}"),
                (
                    new_price,
                    new_price["unit_amount"],
                    f"Remaining time on {new_price.get('nickname') or 'the new plan'}",
                ),
            ]
            invoice = _invoice(sub, new_price, "subscription_update", sub["current_period_start"], lines=lines)
            sub["latest_invoice"] = invoice["id"]
            save(sub)
            emit("customer.subscription.updated", sub, previous=previous)
            _invoice_pay(invoice)
            return sub
    save(sub)
    emit("customer.subscription.updated", sub, previous=previous)
    return sub


def _schedule_release(sub: dict[str, Any], status: str = "released") -> None:
    """End the subscription's schedule (an undone downgrade, an upgrade, or the change applied)."""
    if sub.get("schedule"):
        schedule = get(sub["schedule"], "subscription_schedule")
        schedule["status"] = status
        schedule[f"{status}_at"] = now()
        schedule["released_subscription"] = sub["id"] if status == "released" else None
        save(schedule)
    sub["schedule"], sub["_next_price"] = None, None


def _schedule_create(sub: dict[str, Any], price: dict[str, Any]) -> dict[str, Any]:
    """A subscription schedule as the portal makes one for a change at the period end: this period
    on the current price, then the new price from the next period on."""
    current = sub["items"]["data"][0]["price"]
    start, end = sub["current_period_start"], sub["current_period_end"]
    schedule = {
        "id": new_id("sub_sched"),
        "object": "subscription_schedule",
        "created": now(),
        "customer": sub["customer"],
        "subscription": sub["id"],
        "status": "active",
        "end_behavior": "release",
        "current_phase": {"start_date": start, "end_date": end},
        "phases": [
            {"start_date": start, "end_date": end, "items": [{"price": current["id"], "quantity": 1}]},
            {"start_date": end, "end_date": add_month(end), "items": [{"price": price["id"], "quantity": 1}]},
        ],
        "livemode": False,
        "metadata": {},
    }
    return save(schedule)


def subscription_change_at_period_end(sub_id: str, price_id: str) -> dict[str, Any]:
    """A downgrade as the portal schedules it: a subscription schedule whose next phase, from the
    next period, is on the new price. Choosing the current price again releases the schedule."""
    sub = get(sub_id, "subscription", lock=True)
    price = get(price_id, "price")
    _schedule_release(sub)
    if price["id"] != sub["items"]["data"][0]["price"]["id"]:
        sub["schedule"] = _schedule_create(sub, price)["id"]
        sub["_next_price"] = price["id"]
    sub["cancel_at_period_end"], sub["cancel_at"] = False, None
    save(sub)
    emit("customer.subscription.updated", sub, previous={"cancel_at_period_end": True})
    return sub


def subscription_cancel(sub_id: str) -> dict[str, Any]:
    sub = get(sub_id, "subscription", lock=True)
    sub["status"], sub["ended_at"], sub["canceled_at"] = "canceled", now(), sub.get("canceled_at") or now()
    _schedule_release(sub, "canceled")
    save(sub)
    emit("customer.subscription.deleted", sub)
    return sub


def subscription_advance(sub_id: str, *, fail: bool = False) -> dict[str, Any]:
    """Test helper, like a test clock: move the subscription to its next period. A cancelled plan
    ends; otherwise a scheduled change applies and the renewal invoice is paid (or fails)."""
    sub = get(sub_id, "subscription", lock=True)
    if sub["status"] == "canceled":
        return sub
    if sub["cancel_at_period_end"]:
        return subscription_cancel(sub_id)
    start, end = sub["current_period_end"], add_month(sub["current_period_end"])
    price = get(sub["_next_price"] or sub["items"]["data"][0]["price"]["id"], "price")
    previous = {"items": sub["items"], "current_period_end": sub["current_period_end"]}
    _schedule_release(sub, "completed")
    _set_price(sub, price, start, end)
    invoice = _invoice(sub, price, "subscription_cycle", start)
    sub["latest_invoice"] = invoice["id"]
    save(sub)
    emit("customer.subscription.updated", sub, previous=previous)
    emit("invoice.created", invoice)
    if fail:
        _invoice_fail(invoice, sub)
    else:
        _invoice_pay(invoice)
        if sub["status"] == "past_due":
            sub["status"] = "active"
            save(sub)
            emit("customer.subscription.updated", sub, previous={"status": "past_due"})
    return get(sub_id, "subscription")


def invoice_retry(invoice_id: str) -> dict[str, Any]:
    """Test helper: the card works again and an unpaid invoice is paid."""
    invoice = get(invoice_id, "invoice", lock=True)
    if invoice["status"] == "paid":
        return invoice
    _invoice_pay(invoice)
    sub = get(invoice["parent"]["subscription_details"]["subscription"], "subscription", lock=True)
    if sub["status"] == "past_due":
        sub["status"] = "active"
        save(sub)
        emit("customer.subscription.updated", sub, previous={"status": "past_due"})
    return invoice


# --- Billing portal ---------------------------------------------------------------------------------


def portal_session_create(params: dict[str, Any]) -> dict[str, Any]:
    customer = get(params["customer"], "customer")
    session = {
        "id": new_id("bps"),
        "object": "billing_portal.session",
        "created": now(),
        "customer": customer["id"],
        "livemode": False,
        "return_url": params.get("return_url"),
        "url": "",
    }
    session["url"] = site_url(f"/local-stripe/portal/{session['id']}/")
    return save(session)


def raise_for_outcome(outcome: str) -> None:
    if outcome not in {"success", "decline", "async"}:
        raise StripeError("Choose how the test payment should go.")
