"""fal.ai through the official ``fal_client``: its queue protocol, its webhooks, its errors.

fal_client already retries what it considers safe (connection errors, timeouts, 408/409/429 and
ingress 502-504) with backoff inside each call. Whatever still fails reaches us as an exception,
and this module decides, once, whether the gateway should try again later (``transient``) or tell
the user what went wrong (a plain-words ``message``, built from fal's ``detail`` where there is one).

The submit response carries a ``queue_position`` that ``SyncRequestHandle`` does not expose; we
leave ``Submitted.queue_position`` empty rather than reach into the client's private HTTP calls.
The first ``status`` poll (or the webhook) tells the real position a moment later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import fal_client
import httpx
from django.conf import settings

from providers.adapters.base import (
    UNREADABLE,
    ProviderError,
    Status,
    Submitted,
    WebhookEvent,
    WebhookRejected,
    http_error,
    retry_after_seconds,
    shorten,
    transport_error,
)

log = logging.getLogger(__name__)

# Where request parameters live in a 422 ``loc``; the field path that follows is what a user recognises.
_LOC_PREFIXES = {"body", "query", "path", "header"}


# fal's start deadline for a queued request (``X-Fal-Request-Timeout``). Two reasons: a request
# still waiting for a GPU after this long is dropped by fal instead of run (and billed) after we
# stopped waiting (our longest wait, training, is two hours); and with a start deadline set,
# fal_client doesn't resend a submit whose answer timed out, so it can't queue a request twice.
START_WITHIN = timedelta(minutes=90)


class FalAdapter:
    name = "fal"

    def __init__(self, client: fal_client.SyncClient | None = None):
        self.client = client or fal_client.SyncClient(key=settings.FAL_KEY)

    def submit(self, *, endpoint_id: str, arguments: dict, webhook_url: str | None) -> Submitted:
        with _translated_errors():
            handle = self.client.submit(
                endpoint_id, arguments, webhook_url=webhook_url, start_timeout=START_WITHIN.total_seconds()
            )
        return Submitted(request_id=handle.request_id)

    def status(self, *, endpoint_id: str, request_id: str) -> Status:
        with _translated_errors():
            status = self.client.status(endpoint_id, request_id, with_logs=True)
        if isinstance(status, fal_client.Queued):
            return Status("queued", queue_position=status.position)
        if isinstance(status, fal_client.InProgress):
            return Status("running", logs=_log_lines(status.logs))
        if isinstance(status, fal_client.Completed):
            logs = _log_lines(status.logs)
            if status.error:
                return Status("failed", error=self._failure_reason(endpoint_id, request_id, status), logs=logs)
            return self._result(endpoint_id, request_id, logs)
        raise ProviderError("The provider sent a status we don't know. We'll retry.", transient=True)

    def _failure_reason(self, endpoint_id: str, request_id: str, status: fal_client.Completed) -> str:
        """fal's status says only e.g. "Invalid status code: 422"; the result, when it answers with
        a 4xx, says what was wrong (``image_url: field required``)."""
        try:
            with _translated_errors():
                self.client.result(endpoint_id, request_id)
        except ProviderError as exc:
            if not exc.transient and exc.status_code not in (401, 403):
                return exc.message
        return _completed_error(status.error or "", status.error_type)

    def _result(self, endpoint_id: str, request_id: str, logs: list[str]) -> Status:
        """The finished request's output. A 4xx instead means the request itself failed."""
        try:
            with _translated_errors():
                output = self.client.result(endpoint_id, request_id)
        except ProviderError as exc:
            if exc.transient:
                raise
            return Status("failed", error=exc.message, logs=logs)
        if not isinstance(output, dict):
            raise ProviderError(UNREADABLE, transient=True)
        return Status("succeeded", output=output, logs=logs)

    def cancel(self, *, endpoint_id: str, request_id: str) -> None:
        try:
            self.client.cancel(endpoint_id, request_id)
        except fal_client.FalClientHTTPError as exc:
            if exc.status_code == 400 and _body(exc.response).get("status") == "ALREADY_COMPLETED":
                return
            raise _translate(exc) from exc
        except _TRANSLATED as exc:
            raise _translate(exc) from exc

    def parse_webhook(self, payload: dict) -> WebhookEvent:
        if not isinstance(payload, dict):
            raise WebhookRejected("the webhook body is not a JSON object")
        request_id = payload.get("request_id")
        if not isinstance(request_id, str) or not request_id:
            raise WebhookRejected("the webhook has no request_id")
        return WebhookEvent(request_id=request_id, status=_webhook_status(payload))


def _webhook_status(payload: dict) -> Status:
    """``{"status": "OK", "payload": {...}}`` or ``{"status": "ERROR", "error": ..., "payload": {"detail": ...}}``;
    either may come with ``payload: null`` and a ``payload_error`` when fal couldn't serialise the result."""
    result = payload.get("payload")
    outcome = payload.get("status")
    if outcome == "OK":
        if isinstance(result, dict):
            return Status("succeeded", output=result)
        reason = payload.get("payload_error") or "the result was empty"
        return Status("failed", error=shorten(f"The provider's result could not be read: {reason}"))
    if outcome == "ERROR":
        detail = result.get("detail") if isinstance(result, dict) else None
        if detail:
            return Status("failed", error=shorten(f"The provider rejected the request: {detail_text(detail)}"))
        reason = payload.get("error") or payload.get("payload_error") or "no reason given"
        return Status("failed", error=shorten(f"The provider couldn't finish the request: {reason}"))
    raise WebhookRejected(f"unknown webhook status {outcome!r}")


# --- Errors --------------------------------------------------------------------------------------

# What a fal_client call raises when it fails: fal's HTTP errors, httpx's transport errors, and for a
# body that isn't the JSON it expects a ValueError (JSONDecodeError, an unknown status), KeyError or TypeError.
_TRANSLATED = (fal_client.FalClientHTTPError, httpx.HTTPError, ValueError, KeyError, TypeError)


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except _TRANSLATED as exc:
        raise _translate(exc) from exc


def _translate(exc: Exception) -> ProviderError:
    if isinstance(exc, fal_client.FalClientHTTPError):
        detail = detail_text(_body(exc.response).get("detail"))  # never a raw (HTML) body
        wait = retry_after_seconds(exc.response_headers)
        return http_error(exc.status_code, detail, credential="fal key", retry_after=wait)
    if error := transport_error(exc):
        return error
    log.warning("fal sent a response we couldn't read: %r", exc)
    return ProviderError(UNREADABLE, transient=True)


def detail_text(detail: Any) -> str:
    """fal's ``detail`` in words: a string as it is; FastAPI's 422 list of ``{loc, msg, type}`` as
    ``"image_url: field required; num_images: ensure this value is less than or equal to 4"``."""
    if detail is None:
        return ""
    if isinstance(detail, str):
        return detail.strip()
    if isinstance(detail, list):
        return "; ".join(filter(None, (_validation_item(item) for item in detail)))
    if isinstance(detail, dict):
        return _validation_item(detail)
    return str(detail)


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    message = str(item.get("msg") or item.get("message") or "").strip()
    loc = item.get("loc")
    if isinstance(loc, list | tuple):
        parts = [str(part) for part in loc]
        if parts and parts[0] in _LOC_PREFIXES:
            parts = parts[1:]
        field = ".".join(parts)
        if field:
            return f"{field}: {message}" if message else field
    return message or json.dumps(item, sort_keys=True)


def _completed_error(error: str, error_type: str | None) -> str:
    reason = error.strip() or (error_type or "").replace("_", " ") or "no reason given"
    return shorten(f"The provider couldn't finish the request: {reason}")


def _body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _log_lines(logs: list[dict] | None) -> list[str]:
    return [str(entry["message"]) for entry in logs or [] if isinstance(entry, dict) and entry.get("message")]
