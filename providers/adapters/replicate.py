"""Replicate through the official ``replicate`` client, reading predictions as plain JSON.

``replicate`` 1.0.7 validates every prediction with a pydantic model that knows only five
statuses: a prediction Replicate ``aborted`` (its deadline passed before it started) makes the
client raise instead of answering. So ``status`` and ``cancel`` go through the client's own
authenticated HTTP call (``Client._request``: base URL, token and retry transport included) and
read the JSON themselves; ``parse_webhook`` does the same with the webhook body, which is the
same prediction object.

An endpoint id is ``owner/name:version`` for community models, or ``owner/name`` for official
models, which Replicate runs at their latest version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import replicate
from django.conf import settings
from replicate.exceptions import ReplicateError

from providers.adapters.base import (
    UNREADABLE,
    ProviderError,
    Status,
    Submitted,
    WebhookEvent,
    WebhookRejected,
    http_error,
    shorten,
    transport_error,
)

log = logging.getLogger(__name__)

TERMINAL = {"succeeded", "failed", "canceled", "aborted"}
# A JSON body that isn't one (JSONDecodeError), or a prediction the client's model refuses (pydantic's
# ValidationError), are ValueErrors; a prediction without the fields we read is a KeyError or TypeError.
_TRANSLATED = (ReplicateError, httpx.HTTPError, ValueError, KeyError, TypeError)


class ReplicateAdapter:
    name = "replicate"

    def __init__(self, client: replicate.Client | None = None):
        self.client = client or replicate.Client(
            api_token=settings.REPLICATE_API_TOKEN, base_url=settings.REPLICATE_BASE_URL
        )

    def submit(self, *, endpoint_id: str, arguments: dict, webhook_url: str | None) -> Submitted:
        model, _, version = endpoint_id.partition(":")
        webhook: dict[str, Any] = {}
        if webhook_url:
            webhook = {"webhook": webhook_url, "webhook_events_filter": ["completed"]}
        with _translated_errors():
            if version:
                prediction = self.client.predictions.create(version=version, input=arguments, **webhook)
            else:
                prediction = self.client.models.predictions.create(model=model, input=arguments, **webhook)
        return Submitted(request_id=prediction.id)

    def status(self, *, endpoint_id: str, request_id: str) -> Status:
        with _translated_errors():
            prediction = self._get(request_id)
            return prediction_status(prediction)

    def cancel(self, *, endpoint_id: str, request_id: str) -> None:
        """Replicate answers a cancel of a finished prediction with that prediction; should it ever
        refuse one instead, we stay quiet as long as the prediction has indeed finished."""
        try:
            with _translated_errors():
                self.client._request("POST", f"/v1/predictions/{request_id}/cancel")
        except ProviderError:
            if not self._finished(request_id):
                raise

    def parse_webhook(self, payload: dict) -> WebhookEvent:
        if not isinstance(payload, dict):
            raise WebhookRejected("the webhook body is not a JSON object")
        prediction_id = payload.get("id")
        if not isinstance(prediction_id, str) or not prediction_id:
            raise WebhookRejected("the webhook has no prediction id")
        try:
            status = prediction_status(payload)
        except ProviderError as exc:
            raise WebhookRejected(f"unknown prediction status {payload.get('status')!r}") from exc
        return WebhookEvent(request_id=prediction_id, status=status)

    def _get(self, request_id: str) -> dict:
        prediction = self.client._request("GET", f"/v1/predictions/{request_id}").json()
        if not isinstance(prediction, dict):
            raise TypeError("a prediction is a JSON object")
        return prediction

    def _finished(self, request_id: str) -> bool:
        try:
            with _translated_errors():
                return self._get(request_id).get("status") in TERMINAL
        except ProviderError:
            return False


def prediction_status(prediction: dict) -> Status:
    """A prediction object (from the API or a webhook) as our Status, with its ``metrics``
    (``predict_time``, which Replicate bills by, failed and cancelled runs included)."""
    state = prediction.get("status")
    logs = _log_lines(prediction.get("logs"))
    metrics = prediction.get("metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    if state == "starting":
        return Status("queued", logs=logs)
    if state == "processing":
        return Status("running", logs=logs)
    if state == "succeeded":
        return Status("succeeded", output={"output": prediction.get("output")}, logs=logs, metrics=metrics)
    if state == "failed":
        reason = str(prediction.get("error") or "no reason given").strip()
        return Status("failed", error=shorten(f"The model failed: {reason}"), logs=logs, metrics=metrics)
    if state == "canceled":
        return Status("cancelled", logs=logs, metrics=metrics)
    if state == "aborted":
        return Status(
            "failed",
            error="The provider gave up before the model started (its deadline passed).",
            logs=logs,
            metrics=metrics,
        )
    raise ProviderError(UNREADABLE, transient=True)


# --- Errors --------------------------------------------------------------------------------------


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except _TRANSLATED as exc:
        raise _translate(exc) from exc


def _translate(exc: Exception) -> ProviderError:
    if isinstance(exc, ReplicateError):
        # RFC 7807 problem details: ``title`` and a more specific ``detail``.
        detail = str(exc.detail or exc.title or "").strip()
        return http_error(exc.status or 0, detail, credential="Replicate token")
    if error := transport_error(exc):
        return error
    log.warning("Replicate sent a response we couldn't read: %r", exc)
    return ProviderError(UNREADABLE, transient=True)


def _log_lines(logs: Any) -> list[str]:
    return [line for line in str(logs).splitlines() if line.strip()] if logs else []
