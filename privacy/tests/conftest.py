"""Privacy tests: each gets its own MEDIA_ROOT, so files left behind (or deleted) can be checked."""

import pytest

from core.tests.mailbox import mailbox  # noqa: F401
from orgs.tests.conftest import members  # noqa: F401


@pytest.fixture(autouse=True)
def _own_media(media_root):
    """Every test gets its own MEDIA_ROOT (the root conftest's ``media_root``)."""
