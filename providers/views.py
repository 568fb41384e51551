"""Provider webhooks: verify the signature on the raw body, record the delivery once, advance the call.

Separate endpoints per provider, CSRF-exempt and without sessions; the per-call token in the
URL routes to the call without trusting the body. Everything slow happens in a worker.
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
        # Signed by the provider but not ours (another environment sharing the account, or a call
        # we deleted): acknowledge it, so the provider stops retrying, and change nothing.
        log.warning("a %s webhook for an unknown call (request %s) was ignored", provider, event.request_id)
        return JsonResponse({"ok": True, "ignored": "unknown request"})
    if call.request_id and call.request_id != event.request_id:
        # Signed, so genuine: a request this call no longer waits on (a submit the sweeper repeated
        # after a worker died mid-submit reaches us on the same URL). Acknowledge it, or the
        # provider retries it for hours; change nothing.
        log.warning("a %s webhook for request %s arrived on call %s's URL", provider, event.request_id, call.pk)
        return JsonResponse({"ok": True, "ignored": "request id mismatch"})

    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(
                    provider=provider, delivery_id=delivery_id, call_id=call.pk, payload=payload
                )
        except IntegrityError:
            return JsonResponse({"ok": True, "duplicate": True})
        ProviderCall.objects.filter(pk=call.pk).update(webhook_received_at=timezone.now())
        if not call.request_id:  # the webhook beat our own record of the submit
            ProviderCall.objects.filter(pk=call.pk, request_id__isnull=True).update(request_id=event.request_id)
        gateway.call_apply_status(call.pk, event.status)
    return JsonResponse({"ok": True})
