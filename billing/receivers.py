"""dj-stripe webhook receivers: each hands the event's object to billing.stripe_sync.

They run inside dj-stripe's webhook transaction. Nothing is caught: an exception rolls the
transaction back (no Event row is kept), the webhook answers 500, and Stripe delivers the event
again; stripe_sync's idempotency keys make the redelivery apply exactly once.
"""

from djstripe.event_handlers import djstripe_receiver

from billing import stripe_sync


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
