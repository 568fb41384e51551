"""The adapter interface every AI provider implements, and the errors adapters raise.

Adapters are the only modules that import a vendor SDK. They translate between our calls and the
vendor's queue protocol; they never touch the database. ``providers.gateway`` drives them.

The lifecycle: ``submit`` sends the request to the provider's queue (with a webhook URL when we
have a public one) and returns at once with the provider's request id. Completion then arrives
by a verified webhook (``parse_webhook`` after ``providers.webhooks`` verified the signature) or by
the poller calling ``status``. A synchronous provider (the xAI chat API) answers in ``submit``
with ``Submitted.immediate`` set.
"""

from __future__ import annotations

import datetime
import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

State = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class ProviderError(Exception):
    """A provider call went wrong. ``message`` is plain words a user can read.

    ``transient`` errors (rate limits, 5xx, timeouts, connection failures) are retried with
    backoff; the rest (bad input, content policy, 4xx) fail the call with the message.
    ``retry_after``: the seconds the provider asked us to wait (its ``Retry-After`` header), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        status_code: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status_code = status_code
        self.retry_after = retry_after


MAX_MESSAGE_CHARS = 500
UNREADABLE = "The provider sent an answer we couldn't read. We'll retry."
# The longest wait a provider's Retry-After can ask of us; beyond it we'd rather try (and fail) sooner.
RETRY_AFTER_CAP = 300.0


def shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"


def retry_after_seconds(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP-date, at most ``RETRY_AFTER_CAP``;
    None when there is none or it can't be read. A date in the past is 0."""
    if not headers:
        return None
    value = next((str(v).strip() for k, v in headers.items() if k.lower() == "retry-after"), "")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is GMT; a malformed one may lack the zone
            when = when.replace(tzinfo=datetime.UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def http_error(code: int, detail: str = "", *, credential: str = "", retry_after: float | None = None) -> ProviderError:
    """The same words for every provider's HTTP errors: 429, 408/409, 5xx (and no status at all)
    are transient, carrying the provider's ``retry_after`` (seconds) when it gave one; 401/403 point
    at our key (``credential`` names it); other 4xx quote ``detail``."""
    if code == 429:
        return ProviderError(
            "The provider is busy (rate limited). We'll retry.",
            transient=True,
            status_code=code,
            retry_after=retry_after,
        )
    if code in (408, 409) or code >= 500 or code == 0:
        return ProviderError(
            f"The provider had a temporary problem (HTTP {code}). We'll retry.",
            transient=True,
            status_code=code,
            retry_after=retry_after,
        )
    if code in (401, 403):
        if credential:
            message = (
                f"The provider refused our credentials (HTTP {code}). An administrator needs to check the {credential}."
            )
        else:
            message = f"The provider refused our credentials (HTTP {code})" + (f": {detail}" if detail else ".")
        return ProviderError(shorten(message), status_code=code)
    if detail:
        return ProviderError(shorten(f"The provider rejected the request: {detail}"), status_code=code)
    return ProviderError(f"The provider rejected the request (HTTP {code}).", status_code=code)


def transport_error(exc: Exception) -> ProviderError | None:
    """Timeouts and connection failures (httpx), which are always worth retrying; None for others."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return ProviderError("The provider took too long to answer. We'll retry.", transient=True)
    if isinstance(exc, httpx.TransportError):
        return ProviderError("We couldn't reach the provider. We'll retry.", transient=True)
    return None


class WebhookRejected(Exception):
    """A webhook failed verification (bad or stale signature, missing headers, wrong account)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Status:
    state: State
    queue_position: int | None = None
    output: dict | None = None  # the endpoint's result JSON, when succeeded
    error: str = ""  # plain words, when failed
    logs: list[str] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)  # what the provider measured (Replicate's predict_time), for costs


@dataclass
class Submitted:
    request_id: str
    queue_position: int | None = None
    immediate: Status | None = None  # synchronous providers answer straight away


@dataclass
class WebhookEvent:
    request_id: str
    status: Status


class Adapter(Protocol):
    name: str

    def submit(self, *, endpoint_id: str, arguments: dict, webhook_url: str | None) -> Submitted:
        """Queue the request. Raises ``ProviderError``."""

    def status(self, *, endpoint_id: str, request_id: str) -> Status:
        """Where the request is; when it has succeeded, ``output`` carries the result JSON."""

    def cancel(self, *, endpoint_id: str, request_id: str) -> None:
        """Ask the provider to stop. Quiet when the request has already finished."""

    def parse_webhook(self, payload: dict) -> WebhookEvent:
        """Turn a verified webhook body into an event. Raises ``WebhookRejected`` if malformed."""
