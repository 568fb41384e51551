"""Project tests: their own MEDIA_ROOT and the demo provider at zero latency (tests that ask for
``xai_emulator`` get the emulated xAI instead)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider):
    """Every test: its own MEDIA_ROOT and the demo provider at zero latency."""
