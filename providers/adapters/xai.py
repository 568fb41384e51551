"""xAI's Grok over its OpenAI-compatible chat completions API, with plain httpx.

A chat completion answers within seconds, so there is no queue: ``submit`` makes the call and
returns the answer in ``Submitted.immediate``. There is nothing to poll, cancel or call back.
``XAI_BASE_URL`` is a setting so tests and proxies can point it elsewhere; the ``http`` client is
injectable for the same reason.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

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
    transport_error,
)

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(120.0, connect=10.0)
OPTIONAL_ARGUMENTS = ("response_format", "temperature", "max_tokens")


class XaiAdapter:
    name = "xai"

    def __init__(self, http: httpx.Client | None = None):
        self.http = http or httpx.Client(timeout=TIMEOUT)

    def submit(self, *, endpoint_id: str, arguments: dict, webhook_url: str | None = None) -> Submitted:
        """``arguments``: ``messages`` and optionally ``response_format``, ``temperature``, ``max_tokens``."""
        body = _request_body(endpoint_id, arguments)
        try:
            response = self.http.post(
                f"{settings.XAI_BASE_URL}/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {settings.XAI_API_KEY}"},
            )
        except httpx.TransportError as exc:  # timeouts included
            error = transport_error(exc)
            assert error is not None  # every TransportError maps to a ProviderError
            raise error from exc
        if response.status_code >= 400:
            raise _http_error(response)
        try:
            return _submitted(response.json())
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("xAI sent a response we couldn't read: %r", exc)
            raise ProviderError(UNREADABLE, transient=True) from exc

    def stream(self, *, endpoint_id: str, arguments: dict) -> Iterator[tuple[str, Any]]:
        """The answer as it is written: ``("text", delta)`` pieces, then ``("usage", {...})``.
        Raises ``ProviderError`` when the request is refused before anything came, and
        ``StreamCut`` when the stream breaks off part-way (no ``data: [DONE]``)."""
        body = {**_request_body(endpoint_id, arguments), "stream": True, "stream_options": {"include_usage": True}}
        headers = {"Authorization": f"Bearer {settings.XAI_API_KEY}", "Accept": "text/event-stream"}
        try:
            with self.http.stream("POST", f"{settings.XAI_BASE_URL}/chat/completions", json=body, headers=headers) as r:
                if r.status_code >= 400:
                    r.read()
                    raise _http_error(r)
                yield from _stream_events(r.iter_lines())
        except httpx.TransportError as exc:
            raise StreamCut("The provider's answer broke off part-way.") from exc

    def status(self, *, endpoint_id: str, request_id: str) -> Status:
        """Only asked when the answer of ``submit`` was lost (the process stopped before saving it)."""
        return Status("failed", error="The answer to this request was not saved when it arrived. Please try again.")

    def cancel(self, *, endpoint_id: str, request_id: str) -> None:
        """A synchronous call has finished by the time anyone could cancel it."""

    def parse_webhook(self, payload: dict) -> WebhookEvent:
        raise WebhookRejected("xAI does not send webhooks")


class StreamCut(ProviderError):
    """A streamed answer that stopped before its end."""

    def __init__(self, message: str):
        super().__init__(message, transient=True)


def _stream_events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    usage: dict = {}
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            yield "usage", usage
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            continue
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            if text := (choice.get("delta") or {}).get("content"):
                yield "text", text
    raise StreamCut("The provider's answer broke off part-way.")


def vision_message(text: str, image_url_or_data_uri: str) -> dict:
    """A user message showing one image (an https URL or a ``data:image/...;base64,`` URI) with a prompt."""
    return {
        "role": "user",
        "content": [
            {"type": "image_url", "image_url": {"url": image_url_or_data_uri, "detail": "high"}},
            {"type": "text", "text": text},
        ],
    }


def _request_body(model: str, arguments: dict) -> dict:
    unknown = set(arguments) - {"messages", *OPTIONAL_ARGUMENTS}
    if not arguments.get("messages") or unknown:
        raise ProviderError(f"This chat request is malformed (messages missing or unknown {sorted(unknown)}).")
    body: dict[str, Any] = {"model": model, "messages": arguments["messages"]}
    body.update({key: arguments[key] for key in OPTIONAL_ARGUMENTS if key in arguments})
    return body


def _submitted(data: dict) -> Submitted:
    message = data["choices"][0]["message"]
    output = {"text": message.get("content") or "", "usage": data.get("usage") or {}, "model": data.get("model", "")}
    return Submitted(request_id=str(data.get("id") or uuid.uuid4()), immediate=Status("succeeded", output=output))


def _http_error(response: httpx.Response) -> ProviderError:
    code = response.status_code
    detail = "" if code == 429 or code >= 500 else _error_text(response)
    return http_error(code, detail, retry_after=retry_after_seconds(response.headers))


def _error_text(response: httpx.Response) -> str:
    """xAI answers ``{"code": ..., "error": "words"}``; the OpenAI shape ``{"error": {"message": ...}}`` also occurs."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        error = error.get("message")
    return str(error or body.get("message") or body.get("code") or "").strip()
