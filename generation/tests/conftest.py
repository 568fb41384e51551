"""Edit-job tests: their own MEDIA_ROOT, the demo provider at zero latency, and a funded org."""

from pathlib import Path

import pytest

from assets.tests.factories import AssetFactory
from billing.services import credits_grant


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _demo_provider(settings):
    settings.FAL_KEY = ""
    settings.DEMO_PROVIDER_LATENCY = 0
    settings.DEMO_PROVIDER_FAILURE_RATE = 0


@pytest.fixture
def fund(org):
    def grant(amount: int, org=org):
        credits_grant(org=org, amount=amount, key=f"test-grant:{org.pk}:{amount}:{id(object())}", description="Test")

    return grant


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="beach.jpg", size=(160, 120))
