"""dj-stripe webhook receivers: each hands the event's object to billing.stripe_sync.

They run in the worker, inside dj-stripe's processing transaction (billing/stripe_webhooks.py).
Nothing is caught: an exception rolls the transaction back (no Event row is kept), is written on the
delivery, and the task tries again; stripe_sync's idempotency keys make a retry or a second delivery
of the same money apply exactly once.
"""

from django.db import transaction
from django.dispatch import receiver
from djstripe.event_handlers import djstripe_receiver

from analytics.services import track
from billing import checkout, signals, stripe_sync


def _object(event) -> dict:
    return event.data["object"]


@djstripe_receiver(["invoice.paid", "invoice.payment_succeeded"])
def on_invoice_paid(sender, event, **kwargs):
    stripe_sync.invoice_paid(_object(event))


@djstripe_receiver("invoice.payment_failed")
def on_invoice_payment_failed(sender, event, **kwargs):
    stripe_sync.invoice_payment_failed(_object(event))


@djstripe_receiver(["checkout.session.completed", "checkout.session.async_payment_succeeded"])
def on_checkout_paid(sender, event, **kwargs):
    session = _object(event)
    if session.get("mode") == "payment":
        stripe_sync.topup_paid(session)
    elif session.get("subscription"):
        stripe_sync.subscription_refresh(session["subscription"])


@djstripe_receiver(["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"])
def on_subscription_changed(sender, event, **kwargs):
    stripe_sync.subscription_refresh(_object(event)["id"])


@djstripe_receiver("charge.refunded")
def on_charge_refunded(sender, event, **kwargs):
    stripe_sync.charge_refunded(_object(event))


@djstripe_receiver("charge.dispute.created")
def on_dispute_created(sender, event, **kwargs):
    stripe_sync.dispute_created(_object(event))


@djstripe_receiver(
    [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.updated",
        "invoice.voided",
        "invoice.marked_uncollectible",
    ]
)
def on_invoice_changed(sender, event, **kwargs):
    customer = _object(event).get("customer")
    transaction.on_commit(lambda: checkout.invoices_forget(customer))


@receiver(signals.plan_changed, dispatch_uid="billing.receivers.plan_changed_tracked")
def on_plan_changed(sender, *, org, old_plan, new_plan, **kwargs) -> None:
    """Product analytics: the funnel's last step is an upgrade (a dearer plan than before)."""
    upgraded = old_plan is None or new_plan.price_cents > old_plan.price_cents
    name = "plan_upgraded" if upgraded else "plan_downgraded"
    track(name, org=org, user=org.created_by_id, plan=new_plan.slug, previous=old_plan.slug if old_plan else None)
