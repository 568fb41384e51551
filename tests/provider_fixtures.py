"""Pytest fixtures that put emulated providers behind the real client libraries.

Register with ``pytest_plugins = ["tests.provider_fixtures"]``. Each fixture sets the provider's
settings to test values (so ``registry.resolve`` picks the real adapter, not the demo one), starts
a ``respx`` router for the provider's hosts, and stops it afterwards. While one runs, an HTTP call
through httpx to a host nobody mocked fails the test instead of reaching the internet.

- ``fal_emulator``: ``tests.fal_emulator.FalEmulator``; fal_client's own retries are cut to two
  quick attempts, and fal's cached webhook keys are forgotten before and after.
- ``replicate_emulator``: ``tests.replicate_emulator.ReplicateEmulator``; the webhook secret is
  the emulator's.
- ``xai_emulator``: ``tests.xai_emulator.XaiEmulator``, a scripted chat completions endpoint.

With a real provider's key the product needs media providers can fetch (the ``assets.E001``
check), so the fal and Replicate fixtures also set ``PROVIDER_PUBLIC_URL`` (``PUBLIC_URL``):
inputs go as signed ``/media/p/`` URLs; ``provider_fetch(url)`` reads one as the provider would.
"""

from __future__ import annotations

from collections.abc import Iterator

import fal_client.client
import pytest
from django.core.cache import cache

from providers import webhooks
from tests.fal_emulator import FalEmulator
from tests.replicate_emulator import ReplicateEmulator
from tests.xai_emulator import XaiEmulator

PUBLIC_URL = "https://app.example.com"


@pytest.fixture(scope="session")
def tls_providers():
    """fal, Replicate and xAI on one real TLS socket (``tests.tls_emulator``), for the session."""
    from tests.tls_emulator import TlsProviders

    providers = TlsProviders.start()
    yield providers
    providers.stop()


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
