import pytest


@pytest.fixture(autouse=True)
def _own_media(media_root, demo_provider):
    """Every test gets its own MEDIA_ROOT; the offline demo provider answers paid calls."""
