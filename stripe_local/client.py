"""How the stripe library reaches the local Stripe: an HTTP client that hands each request to
Django's own request handling instead of opening a socket.

The stripe library still builds real HTTP requests (method, URL, headers, form-encoded body) and
parses real responses; only the transport is in-process. That way the web process never calls
itself over the network (a single-threaded server would wait on itself), and tests need no server.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.test.client import Client
from stripe._http_client import HTTPClient


class LocalStripeHTTPClient(HTTPClient):
    name = "personae-local-stripe"

    def request(self, method, url, headers, post_data=None, *, _usage=None) -> tuple[str, int, dict[str, str]]:
        return dispatch(method, url, headers or {}, post_data)

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        """The same answer as a readable stream (Stripe's client streams file downloads this way)."""
        body, status, answer_headers = dispatch(method, url, headers or {}, post_data)
        return io.BytesIO(body.encode() if isinstance(body, str) else body), status, answer_headers

    def close(self):
        return None


def _extra(headers) -> dict[str, Any]:
    site = urlsplit(settings.SITE_URL)
    extra: dict[str, Any] = {"HTTP_HOST": site.netloc or "localhost", "secure": site.scheme == "https"}
    for name, value in headers.items():
        key = "HTTP_" + name.upper().replace("-", "_")
        if key == "HTTP_CONTENT_TYPE":
            continue
        extra[key] = value
    return extra


def dispatch(
    method: str, url: str, headers, body: str | bytes | None, *, raise_errors: bool = True
) -> tuple[str, int, dict[str, str]]:
    """Run one request through Django's URL routing and views; (body, status, headers) back."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    client = Client(raise_request_exception=raise_errors)
    extra = _extra(headers)
    content_type = headers.get("Content-Type") or headers.get("content-type") or "application/x-www-form-urlencoded"
    method = method.lower()
    if method == "get":
        response = client.get(path, **extra)
    elif method == "delete":
        response = client.delete(path, **extra)
    else:
        response = client.generic(method.upper(), path, body or b"", content_type=content_type, **extra)
    return response.content.decode(), response.status_code, {k.lower(): v for k, v in response.items()}


def install() -> None:
    """Send every stripe library call to the local Stripe (called in local mode at startup)."""
    stripe.default_http_client = LocalStripeHTTPClient()
    stripe.max_network_retries = 0
