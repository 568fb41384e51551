"""Library tests: every test gets its own MEDIA_ROOT, so the tree can be checked for leftovers; the media
tests share a folder of generated samples per module."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_media(media_root):
    """Every test gets its own MEDIA_ROOT (the root conftest's ``media_root``)."""


@pytest.fixture
def owner(login):
    return login("owner")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    """A folder for one test module's generated sample files."""
    return tmp_path_factory.mktemp("media")
