"""Library tests: every test gets its own MEDIA_ROOT, so the tree can be checked for leftovers."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def login(client, people):
    """``login("viewer")``: the test client, signed in as that person of ``org``."""

    def sign_in(role: str):
        client.force_login(getattr(people, role))
        return client

    return sign_in
