"""Is this webhook really from the provider? Signature checks on the raw request body.

Both checks run on the bytes exactly as received, before anything parses them, and both reject
a delivery whose timestamp is more than ``PROVIDER_WEBHOOK_TOLERANCE`` seconds away from now, so
a captured delivery can't be replayed later (the view's dedupe record covers the window itself).
Every failure is a ``WebhookRejected`` with a short reason for the log; nothing here touches
the database.

fal signs with Ed25519 keys it publishes as a JWKS. We cache the keys for a day; a signature no
cached key verifies may mean fal rotated its keys, so we fetch them again, but at most once per
``JWKS_REFETCH_INTERVAL``, so forged deliveries can't turn us into a client hammering fal. When the
JWKS can't be fetched, the last keys we got (kept for a month) still verify, and the failure is
remembered for ``JWKS_FAILURE_SECONDS``, so no request triggers another fetch in that time.

Replicate follows Standard Webhooks: HMAC-SHA256 with the base64 key after ``whsec_``. We check it
here rather than with ``replicate.webhook.Webhooks.validate``, which skips the timestamp check by
default, returns None on success and leaks ``binascii.Error`` on a malformed signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.cache import cache

from providers.adapters.base import WebhookRejected

log = logging.getLogger(__name__)

JWKS_CACHE_KEY = "fal-jwks"
JWKS_CACHE_SECONDS = 24 * 60 * 60
JWKS_REFETCHED_KEY = "fal-jwks-refetched"
JWKS_REFETCH_INTERVAL = 5 * 60
JWKS_LAST_GOOD_KEY = "fal-jwks-last-good"
JWKS_LAST_GOOD_SECONDS = 30 * 24 * 60 * 60
JWKS_FAILED_KEY = "fal-jwks-failed"
JWKS_FAILURE_SECONDS = 60
JWKS_CACHE_KEYS = (JWKS_CACHE_KEY, JWKS_REFETCHED_KEY, JWKS_LAST_GOOD_KEY, JWKS_FAILED_KEY)
JWKS_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def verify_fal(headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> str:
    """The fal request id of a genuine delivery; raises ``WebhookRejected`` otherwise."""
    request_id = _header(headers, "X-Fal-Webhook-Request-Id")
    user_id = _header(headers, "X-Fal-Webhook-User-Id")
    timestamp = _header(headers, "X-Fal-Webhook-Timestamp")
    signature_hex = _header(headers, "X-Fal-Webhook-Signature")
    _check_timestamp(timestamp, now)
    if settings.FAL_WEBHOOK_USER_ID and user_id != settings.FAL_WEBHOOK_USER_ID:
        raise WebhookRejected("the webhook is for another fal account")
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise WebhookRejected("the signature is not hex") from None
    message = "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()

    keys, fresh = _fal_keys()
    if _signed_by_any(keys, signature, message):
        return request_id
    if not fresh and not cache.get(JWKS_FAILED_KEY) and cache.add(JWKS_REFETCHED_KEY, True, JWKS_REFETCH_INTERVAL):
        try:
            keys = _fetch_fal_keys()
        except WebhookRejected:
            keys = []
        if _signed_by_any(keys, signature, message):
            return request_id
    raise WebhookRejected("the signature does not match")


def verify_replicate(headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> str:
    """The ``webhook-id`` of a genuine delivery (the same across retries); raises ``WebhookRejected`` otherwise."""
    secret = settings.REPLICATE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejected("Replicate webhook secret not configured")
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    _check_timestamp(timestamp, now)
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        raise WebhookRejected("the Replicate webhook secret is malformed") from None
    expected = hmac.new(key, b".".join([webhook_id.encode(), timestamp.encode(), body]), hashlib.sha256).digest()
    for candidate in signatures.split():
        version, _, encoded = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(_b64(encoded), expected):
            return webhook_id
    raise WebhookRejected("the signature does not match")


# --- Shared ---------------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    """A required header, case-insensitively (Django's ``request.headers`` is; a plain dict isn't)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    if not value:
        raise WebhookRejected(f"missing header {name}")
    return value.strip()


def _check_timestamp(timestamp: str, now: float | None) -> None:
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookRejected("the timestamp is not a number") from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > settings.PROVIDER_WEBHOOK_TOLERANCE:
        raise WebhookRejected("the timestamp is too far from now (stale or replayed)")


def _b64(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return b""


# --- fal's keys ------------------------------------------------------------------------------------


def _fal_keys() -> tuple[list[str], bool]:
    """fal's public keys (base64url) and whether they were fetched just now. When they can't be
    fetched, the last good keys; with none of those either, ``WebhookRejected``."""
    keys = cache.get(JWKS_CACHE_KEY)
    if keys is not None:
        return keys, False
    try:
        if cache.get(JWKS_FAILED_KEY):
            raise WebhookRejected("could not fetch fal's keys (a recent fetch failed)")
        return _fetch_fal_keys(), True
    except WebhookRejected:
        last_good = cache.get(JWKS_LAST_GOOD_KEY)
        if last_good is None:
            raise
        return last_good, True


def _fetch_fal_keys() -> list[str]:
    try:
        response = httpx.get(settings.FAL_JWKS_URL, timeout=JWKS_TIMEOUT)
        response.raise_for_status()
        jwks = response.json()
        keys = [
            key["x"]
            for key in jwks["keys"]
            if key.get("kty") == "OKP" and key.get("crv") == "Ed25519" and isinstance(key.get("x"), str)
        ]
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("Could not fetch fal's webhook keys from %s: %r", settings.FAL_JWKS_URL, exc)
        cache.set(JWKS_FAILED_KEY, True, JWKS_FAILURE_SECONDS)
        raise WebhookRejected("could not fetch fal's keys") from exc
    cache.set(JWKS_CACHE_KEY, keys, JWKS_CACHE_SECONDS)
    cache.set(JWKS_LAST_GOOD_KEY, keys, JWKS_LAST_GOOD_SECONDS)
    cache.delete(JWKS_FAILED_KEY)
    return keys


def _signed_by_any(keys: list[str], signature: bytes, message: bytes) -> bool:
    for x in keys:
        try:
            public_key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
            public_key.verify(signature, message)
        except (InvalidSignature, ValueError, binascii.Error):
            continue
        return True
    return False
