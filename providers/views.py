"""Provider webhooks: verify the signature on the raw body, record the delivery once, advance the call.

Separate endpoints per provider, CSRF-exempt and without sessions; the per-call token in the
URL routes to the call without trusting the body, even when we never saved the provider's request
id (a worker died just after sending). Everything slow happens in a worker. Deliveries that need a
person (no call has the token, or a result came after we gave up) are kept ``parked`` for staff.
"""

from __future__ import annotations

import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers import gateway, webhooks
from providers.adapters import get_adapter
from providers.adapters.base import WebhookRejected
from providers.models import ProviderCall, WebhookDelivery

log = logging.getLogger(__name__)

VERIFIERS = {"fal": webhooks.verify_fal, "replicate": webhooks.verify_replicate}
UNKNOWN_CALL = "No call of ours has this webhook's token (a deleted call, or another environment's)."
LATE_RESULT = "A result arrived after the call had {status}; the user never got it."


@csrf_exempt
@login_not_required
@require_POST
def webhook(request, provider: str, token: str):
    verify = VERIFIERS.get(provider)
    if verify is None:
        raise Http404
    body = request.body
    try:
        delivery_id = verify(request.headers, body)
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise WebhookRejected("the body is not a JSON object")
        event = get_adapter(provider).parse_webhook(payload)
    except (WebhookRejected, ValueError) as exc:
        reason = exc.reason if isinstance(exc, WebhookRejected) else "the body is not JSON"
        log.warning("rejected a %s webhook: %s", provider, reason)
        return JsonResponse({"error": "rejected", "reason": reason}, status=400)

    call = ProviderCall.objects.filter(provider=provider, webhook_token=token).only("pk", "request_id").first()
    if call is None:
        # Signed by the provider but no call of ours has this token (a call we deleted, or another
        # environment sharing the account): parked for staff, acknowledged so the provider stops.
        log.warning("a %s webhook for an unknown call (request %s) was parked", provider, event.request_id)
        _park(provider, delivery_id, payload, reason=UNKNOWN_CALL)
        return JsonResponse({"ok": True, "ignored": "unknown request", "parked": True})
    if call.request_id and call.request_id != event.request_id:
        # Signed, so genuine: a request this call no longer waits on (a submit the sweeper repeated
        # after a worker died mid-submit reaches us on the same URL). Acknowledge it, or the
        # provider retries it for hours; change nothing.
        log.warning("a %s webhook for request %s arrived on call %s's URL", provider, event.request_id, call.pk)
        return JsonResponse({"ok": True, "ignored": "request id mismatch"})

    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    provider=provider, delivery_id=delivery_id, call_id=call.pk, payload=payload
                )
        except IntegrityError:
            return JsonResponse({"ok": True, "duplicate": True})
        ProviderCall.objects.filter(pk=call.pk).update(webhook_received_at=timezone.now())
        if not call.request_id:  # the webhook beat our own record of the submit, or that record was lost
            ProviderCall.objects.filter(pk=call.pk, request_id__isnull=True).update(request_id=event.request_id)
        moved = gateway.call_apply_status(call.pk, event.status)
        if not moved and event.status.state == "succeeded":
            current = ProviderCall.objects.values_list("status", flat=True).get(pk=call.pk)
            if current != ProviderCall.Status.SUCCEEDED:
                # A result the provider made (and billed) after we gave up on the call.
                log.warning("a %s result arrived for call %s, which had already %s", provider, call.pk, current)
                WebhookDelivery.objects.filter(pk=delivery.pk).update(parked=LATE_RESULT.format(status=current))
                return JsonResponse({"ok": True, "parked": True})
    return JsonResponse({"ok": True})


def _park(provider: str, delivery_id: str, payload: dict, *, reason: str) -> None:
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(provider=provider, delivery_id=delivery_id, payload=payload, parked=reason)
    except IntegrityError:
        pass  # a redelivery of one already parked
