"""Outgoing webhooks: endpoints a customer registers, job events signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``, made with
the ``standardwebhooks`` library), sent by Celery with backoff, logged, and resent on request.

Addresses: https only and never a private, loopback, link-local or reserved address, checked when
the endpoint is saved and again before every attempt (DNS can change); redirects aren't followed.
``WEBHOOK_ALLOW_PRIVATE_URLS`` lifts both rules for local receivers and tests.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import secrets
import socket
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.models import User
from api.models import WebhookDelivery, WebhookEndpoint
from core.exceptions import DomainError
from orgs.models import Organization

logger = logging.getLogger(__name__)

MAX_ENDPOINTS = 5
# Seconds to wait before attempt 2, 3, …: about 3 hours in all with the default six attempts.
BACKOFF = (10, 60, 300, 1800, 7200, 14400)
USER_AGENT = "Personae-Webhooks/1"


# --- Endpoints -------------------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DomainError(f"“{host}” can't be found. Check the address.", field="url") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def url_problem(url: str) -> str:
    """Why ``url`` can't receive webhooks ('' if it can)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "That isn't a web address."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Enter a full address starting with https://."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the address; verify the signature instead."
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return ""
    if parts.scheme != "https":
        return "Webhook addresses must use https://."
    try:
        addresses = _addresses(parts.hostname)
    except DomainError as exc:
        return exc.message
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return "That address is on a private or local network; webhooks go to public https addresses only."
    return ""


def endpoint_create(*, org: Organization, user: User, url: str, description: str = "") -> WebhookEndpoint:
    url = url.strip()
    if len(url) > 500:
        raise DomainError("Keep the address under 500 characters.", field="url")
    if problem := url_problem(url):
        raise DomainError(problem, field="url")
    if WebhookEndpoint.objects.for_org(org).count() >= MAX_ENDPOINTS:
        raise DomainError(f"An organisation can have {MAX_ENDPOINTS} webhook endpoints. Delete one first.")
    if WebhookEndpoint.objects.for_org(org).filter(url=url).exists():
        raise DomainError("That address is already registered.", field="url")
    return WebhookEndpoint.objects.create(
        org=org, url=url, description=" ".join(description.split())[:120], secret=_new_secret(), created_by=user
    )


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


# --- Events ----------------------------------------------------------------------------------------


def event_emit(*, org_id: int, event_type: str, data: dict) -> list[WebhookDelivery]:
    """Queue ``event_type`` with ``data`` to each of the organisation's endpoints (after commit)."""
    endpoints = list(WebhookEndpoint.objects.filter(org_id=org_id, disabled_at__isnull=True))
    if not endpoints:
        return []
    message_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
    deliveries = [
        WebhookDelivery.objects.create(
            org_id=org_id, endpoint=endpoint, message_id=message_id, event_type=event_type, payload=payload
        )
        for endpoint in endpoints
    ]
    _queue([d.pk for d in deliveries])
    return deliveries


def _queue(ids: list[int], countdown: int = 0) -> None:
    from api.tasks import deliver_webhook

    def send() -> None:
        for pk in ids:
            deliver_webhook.apply_async(args=(pk,), countdown=countdown)

    transaction.on_commit(send)


def signed_headers(endpoint: WebhookEndpoint, message_id: str, body: str) -> dict[str, str]:
    now = timezone.now()
    signature = Webhook(endpoint.secret).sign(msg_id=message_id, timestamp=now, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def delivery_attempt(delivery_id: int) -> int | None:
    """Send one attempt of a pending delivery. Returns the seconds until the next attempt when it
    should be retried, else None (delivered, given up, or nothing to do)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    status_code, error = None, ""
    if problem := url_problem(endpoint.url):
        error = problem
    else:
        try:
            response = httpx.post(
                endpoint.url,
                content=body.encode(),
                headers=signed_headers(endpoint, delivery.message_id, body),
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                follow_redirects=False,
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"The endpoint answered {status_code}."
        except httpx.HTTPError as exc:
            error = f"Couldn't reach the endpoint ({type(exc).__name__})."
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "response_status": status_code, "error": error[:300], "updated_at": timezone.now()}
    if not error:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.SUCCEEDED, delivered_at=timezone.now(), next_attempt_at=None, **fields
        )
        return None
    if attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None, **fields
        )
        return None
    wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=wait), **fields
    )
    return wait


def delivery_resend(*, delivery: WebhookDelivery) -> None:
    """Send a delivery again (same ``webhook-id``, fresh signature), with a fresh set of attempts."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, error="", next_attempt_at=None, updated_at=timezone.now()
    )
    _queue([delivery.pk])


# A pending delivery untouched this long lost its task (a worker restarted): it is queued again.
STALLED = timedelta(minutes=10)
# The delivery log keeps this many days.
LOG_DAYS = 30


def deliveries_sweep(*, now=None) -> dict:
    """Beat: queue pending deliveries whose task was lost, and drop log entries older than LOG_DAYS."""
    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, updated_at__lt=now - STALLED)
    stalled = list(
        pending.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - STALLED)).values_list(
            "pk", flat=True
        )
    )
    if stalled:
        WebhookDelivery.objects.filter(pk__in=stalled).update(updated_at=now)
        _queue(stalled)
    pruned, _ = (
        WebhookDelivery.objects.filter(created_at__lt=now - timedelta(days=LOG_DAYS))
        .exclude(status=WebhookDelivery.Status.PENDING)
        .delete()
    )
    return {"requeued": len(stalled), "pruned": pruned}


def test_event(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event to one endpoint, to check the receiver."""
    delivery = WebhookDelivery.objects.create(
        org=endpoint.org,
        endpoint=endpoint,
        message_id=f"msg_{uuid.uuid4().hex}",
        event_type="webhook.test",
        payload={
            "type": "webhook.test",
            "timestamp": timezone.now().isoformat(),
            "data": {"message": "A test event from Personae. Your endpoint received and can verify it."},
        },
    )
    _queue([delivery.pk])
    return delivery
