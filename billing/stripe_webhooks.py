"""Stripe webhooks: answered at once, processed by the worker.

dj-stripe's endpoint URL (``/stripe/webhook/<uuid>/``) is served by ``StripeWebhookView``, which
records every delivery and checks its signature exactly as dj-stripe does. Processing an event,
though, means dj-stripe re-reading its objects from Stripe's API and syncing them (tens of queries
and one or more API calls), then our receivers moving credits. Stripe asks for a quick 2xx and the
work done afterwards, so the view stores each delivery as a ``QueuedWebhookDelivery``, whose
processing only queues it for the worker. (dj-stripe's own hook for this,
``DJSTRIPE_WEBHOOK_EVENT_CALLBACK``, is deprecated and warns at every start.)

``process_trigger`` (the ``billing.tasks.process_stripe_webhook`` task) then runs dj-stripe's own
processing in one transaction: the ``Event`` row is the idempotency gate (a duplicate delivery finds
it and runs no receiver), and our receivers key their grants on the invoice or checkout session.
An exception rolls that transaction back, is written on the delivery for staff (admin → dj-stripe →
Webhook event triggers) and the task retries with backoff; ``sweep`` re-queues deliveries whose task
was lost (a worker killed between the answer and the processing).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from traceback import format_exc

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.settings import djstripe_settings
from djstripe.views import ProcessWebhookView

from billing import stripe_setup
from billing.models import QueuedWebhookDelivery

logger = logging.getLogger(__name__)

# A delivery still unprocessed this long after it arrived has lost its task; the sweep re-queues it.
STALE_AFTER = timedelta(minutes=3)
# Deliveries older than this that never processed are left to staff (the error is on the row).
GIVE_UP_AFTER = timedelta(days=3)


class StripeWebhookView(ProcessWebhookView):
    """dj-stripe's webhook view (no signature: 400, unknown endpoint: 404, bad signature: 400) with
    one change: the delivery is a ``QueuedWebhookDelivery``, so it is stored and queued, not processed."""

    def post(self, request, uuid):
        if "stripe-signature" not in request.headers:
            return HttpResponseBadRequest()
        endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
        delivery = QueuedWebhookDelivery.from_request(request, webhook_endpoint=endpoint)
        if not delivery.valid:
            logger.warning("Stripe webhook delivery %s did not validate", delivery.pk)
            return HttpResponseBadRequest()
        return HttpResponse(str(delivery.pk))


@receiver(post_save, sender=QueuedWebhookDelivery, dispatch_uid="billing.stripe_webhooks.queue_saved_delivery")
def queue_saved_delivery(sender, instance: QueuedWebhookDelivery, created: bool, **kwargs) -> None:
    """Queue the processing once dj-stripe has saved the delivery as valid (its last write), so the
    worker never finds it half-saved; the webhook costs no query of its own."""
    if not getattr(instance, "_personae_queue", False) or not instance.valid or instance.processed:
        return
    instance._personae_queue = False
    pk = instance.pk

    def enqueue() -> None:
        from billing.tasks import process_stripe_webhook

        process_stripe_webhook.delay(pk)

    transaction.on_commit(enqueue)


def process_trigger(pk: int) -> bool:
    """Run dj-stripe's processing (and our receivers) for one delivery; True once it is processed.

    Safe to run twice at once or again after success: the row is locked, a processed delivery is
    left alone, and a second delivery of one event finds dj-stripe's ``Event`` row and runs no
    receiver. Exceptions are recorded on the delivery and raised for the task to retry.
    """
    try:
        with transaction.atomic():
            trigger = WebhookEventTrigger.objects.select_for_update().filter(pk=pk, valid=True).first()
            if trigger is None or trigger.processed:
                return trigger is not None
            livemode = bool(trigger.json_body.get("livemode"))
            trigger.process(save=True, api_key=djstripe_settings.get_default_api_key(livemode))
    except Exception as error:
        field = WebhookEventTrigger._meta.get_field("exception")
        WebhookEventTrigger.objects.filter(pk=pk).update(
            exception=str(error)[: field.max_length], traceback=format_exc()
        )
        logger.warning("Stripe webhook delivery %s failed to process: %s", pk, error)
        raise
    return True


def pending(older_than: timedelta = timedelta(0)):
    """Valid deliveries not processed yet, oldest first."""
    now = timezone.now()
    return WebhookEventTrigger.objects.filter(
        valid=True, processed=False, created__lte=now - older_than, created__gte=now - GIVE_UP_AFTER
    ).order_by("created", "pk")


def waiting_for_customer(customer_id: str) -> bool:
    """Whether Stripe has told us about this customer something the worker hasn't applied yet:
    a stored delivery not processed, or (with the local test-mode Stripe) an event not yet sent."""
    if not customer_id:
        return False
    recent = pending().filter(created__gte=timezone.now() - timedelta(hours=1))
    if recent.filter(body__contains=f'"{customer_id}"').exists():
        return True
    if stripe_setup.is_local():
        from stripe_local.delivery import undelivered_for_customer

        return undelivered_for_customer(customer_id)
    return False


def sweep() -> int:
    """Re-queue deliveries whose processing task was lost. Returns how many were queued."""
    from billing.tasks import process_stripe_webhook

    pks = list(pending(STALE_AFTER).values_list("pk", flat=True)[:500])
    for pk in pks:
        process_stripe_webhook.delay(pk)
    if pks:
        logger.warning("Re-queued %s Stripe webhook deliveries that were never processed", len(pks))
    return len(pks)


def process_pending() -> int:
    """Process every waiting delivery here and now, oldest first (tests, benchmarks, manual repair)."""
    done = 0
    for pk in list(pending().values_list("pk", flat=True)):
        done += process_trigger(pk)
    return done
