"""Library tests: every test gets its own MEDIA_ROOT, so the tree can be checked for leftovers."""

import pytest


@pytest.fixture(autouse=True)
def _own_media(media_root):
    """Every test gets its own MEDIA_ROOT (the root conftest's ``media_root``)."""
