from io import StringIO

import pytest
from django.core.management import call_command
from wagtail.models import Site

from blog.management.commands.seed_site import blog_index_ensure
from blog.models import BlogIndexPage


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Blog images are written to a throwaway media root, not the development one."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_site_root_paths(db):
    """Wagtail caches each site's root page path in the (Redis) cache, which outlives a test's
    rolled-back database."""
    Site.clear_site_root_paths_cache()
    yield
    Site.clear_site_root_paths_cache()


@pytest.fixture
def blog_index(db) -> BlogIndexPage:
    """An empty blog at /blog/."""
    return blog_index_ensure()


@pytest.fixture
def blog(db) -> BlogIndexPage:
    """The blog as seed_site leaves it: the index at /blog/ and the three launch posts."""
    call_command("seed_site", stdout=StringIO())
    return BlogIndexPage.objects.get()
