"""Pytest fixtures that put emulated providers behind the real client libraries.

Register with ``pytest_plugins = ["tests.provider_fixtures"]``. Each fixture sets the provider's
settings to test values (so ``registry.resolve`` picks the real adapter, not the demo one), starts
a ``respx`` router for the provider's hosts, and stops it afterwards. While one runs, an HTTP call
through httpx to a host nobody mocked fails the test instead of reaching the internet.

- ``fal_emulator``: ``tests.fal_emulator.FalEmulator``; fal_client's own retries are cut to two
  quick attempts, and fal's cached webhook keys are forgotten before and after.
- ``replicate_emulator``: ``tests.replicate_emulator.ReplicateEmulator``; the webhook secret is
  the emulator's.
- ``xai_emulator``: ``XaiEmulator`` below, a scripted chat completions endpoint.

With a real provider's key the product needs media providers can fetch (the ``assets.E001``
check), so the fal and Replicate fixtures also set ``PROVIDER_PUBLIC_URL`` (``PUBLIC_URL``):
inputs go as signed ``/media/p/`` URLs; ``provider_fetch(url)`` reads one as the provider would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import fal_client.client
import httpx
import pytest
import respx
from django.core.cache import cache

from providers import webhooks
from tests.fal_emulator import FalEmulator, Fault, Faults
from tests.replicate_emulator import ReplicateEmulator

PUBLIC_URL = "https://app.example.com"


@pytest.fixture
def fal_emulator(settings, monkeypatch) -> Iterator[FalEmulator]:
    settings.FAL_KEY = "fal-test-key"
    settings.PROVIDER_PUBLIC_URL = PUBLIC_URL
    monkeypatch.setattr(fal_client.client, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(fal_client.client, "BASE_DELAY", 0.0)
    emulator = FalEmulator(jwks_url=settings.FAL_JWKS_URL)
    settings.FAL_WEBHOOK_USER_ID = emulator.user_id
    _forget_fal_keys()
    with emulator:
        yield emulator
    _forget_fal_keys()


@pytest.fixture
def replicate_emulator(settings) -> Iterator[ReplicateEmulator]:
    settings.REPLICATE_API_TOKEN = "r8_test"
    settings.PROVIDER_PUBLIC_URL = PUBLIC_URL
    emulator = ReplicateEmulator()
    settings.REPLICATE_WEBHOOK_SECRET = emulator.webhook_secret
    with emulator:
        yield emulator


@pytest.fixture
def xai_emulator(settings) -> Iterator[XaiEmulator]:
    settings.XAI_API_KEY = "xai-test-key"
    with XaiEmulator(settings.XAI_BASE_URL) as emulator:
        yield emulator


def provider_fetch(url: str) -> bytes:
    """What a provider downloads from one of our signed ``/media/p/`` input URLs (no login)."""
    from django.test import Client

    assert url.startswith(f"{PUBLIC_URL}/media/p/"), url
    response = Client().get(url.removeprefix(PUBLIC_URL))
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def _forget_fal_keys() -> None:
    cache.delete_many(list(webhooks.JWKS_CACHE_KEYS))


class XaiEmulator:
    """``POST {XAI_BASE_URL}/chat/completions``: answers the queued ``reply`` texts in order, then
    ``default_reply``; records each request body in ``requests``."""

    def __init__(self, base_url: str):
        self.replies: list[dict] = []
        self.default_reply = "OK"
        self.requests: list[dict] = []
        self.faults = Faults({"chat"})
        self.router = respx.MockRouter(assert_all_mocked=True, assert_all_called=False)
        self.route = self.router.post(f"{base_url}/chat/completions").mock(side_effect=self._chat)

    def __enter__(self) -> XaiEmulator:
        self.router.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.router.stop()

    def reply(self, text: str, *, usage: dict | None = None) -> None:
        self.replies.append({"text": text, "usage": usage})

    def fail(
        self,
        *,
        status: int = 500,
        json: Any = None,
        text: str | None = None,
        exception: type[Exception] | Exception | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Without ``json``/``text`` the body is xAI's ``{"code": ..., "error": ...}``."""
        if json is None and text is None and exception is None:
            phrase = httpx.codes.get_reason_phrase(status)
            json = {"code": phrase, "error": phrase}
        return self.faults.add(Fault("chat", status, json, text, exception, headers or {}, times))

    def _chat(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if fault := self.faults.take("chat"):
            return fault.answer(request)
        reply = self.replies.pop(0) if self.replies else {"text": self.default_reply, "usage": None}
        usage = reply["usage"] or {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
        return httpx.Response(
            200,
            json={
                "id": str(uuid.uuid4()),
                "object": "chat.completion",
                "created": 1767225600,
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply["text"], "refusal": None},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            },
        )
