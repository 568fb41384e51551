"""With a real AI provider's key, the product starts only if providers can fetch our files: S3/R2
storage, or a public https address for the site. The fix is in the error."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from assets.checks import provider_media_check

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def local_media(settings):
    """No provider keys, media on disk, no public address: the development setup."""
    settings.FAL_KEY = settings.REPLICATE_API_TOKEN = settings.XAI_API_KEY = ""
    settings.MEDIA_BACKEND = "local"
    settings.PROVIDER_PUBLIC_URL = ""
    settings.SITE_URL = "http://127.0.0.1:8000"
    return settings


def test_it_is_quiet_without_provider_keys(local_media):
    assert provider_media_check() == []


@pytest.mark.parametrize("key", ["FAL_KEY", "REPLICATE_API_TOKEN", "XAI_API_KEY"])
def test_a_provider_key_without_reachable_media_is_an_error_with_the_fix(local_media, key):
    setattr(local_media, key, "secret")

    [error] = provider_media_check()

    assert isinstance(error, Error)
    assert error.id == "assets.E001"
    assert error.msg.startswith(f"{key} is set, but AI providers couldn't fetch the images")
    assert "no public https address" in error.msg
    for setting in ("MEDIA_BUCKET", "MEDIA_ENDPOINT_URL", "PROVIDER_PUBLIC_URL", "docs/configuration.md"):
        assert setting in error.hint


def test_it_names_every_key_set(local_media):
    local_media.FAL_KEY = local_media.XAI_API_KEY = "secret"

    [error] = provider_media_check()

    assert error.msg.startswith("FAL_KEY and XAI_API_KEY are set")


def test_an_http_public_address_doesnt_count(local_media):
    local_media.FAL_KEY = "secret"
    local_media.PROVIDER_PUBLIC_URL = "http://my-laptop.example.com"

    [error] = provider_media_check()

    assert "PROVIDER_PUBLIC_URL is 'http://my-laptop.example.com', which isn't https" in error.msg


@pytest.mark.parametrize(
    "reachable",
    [
        {"MEDIA_BACKEND": "s3"},
        {"PROVIDER_PUBLIC_URL": "https://tunnel.example.com"},
        {"SITE_URL": "https://personae.example.com"},
    ],
    ids=["bucket", "tunnel", "https-site"],
)
def test_a_provider_key_with_reachable_media_is_fine(local_media, reachable):
    local_media.FAL_KEY = "secret"
    for name, value in reachable.items():
        setattr(local_media, name, value)

    assert provider_media_check() == []


@pytest.mark.django_db  # dj-stripe's checks read its webhook endpoints
def test_it_runs_with_the_other_system_checks(local_media):
    call_command("check", verbosity=0)
    local_media.FAL_KEY = "secret"

    with pytest.raises(SystemCheckError, match=r"assets\.E001"):
        call_command("check", verbosity=0)


@pytest.mark.parametrize(
    ("env", "passes"),
    [
        ({}, True),
        ({"FAL_KEY": "k"}, False),
        ({"FAL_KEY": "k", "MEDIA_BUCKET": "personae-media"}, True),
        ({"REPLICATE_API_TOKEN": "k", "PROVIDER_PUBLIC_URL": "https://tunnel.example.com"}, True),
    ],
    ids=["no-keys", "key-only", "key-and-bucket", "key-and-tunnel"],
)
def test_manage_py_check_from_the_environment(env, passes):
    clean = {k: v for k, v in os.environ.items() if k not in ("FAL_KEY", "REPLICATE_API_TOKEN", "XAI_API_KEY")}
    clean |= {"MEDIA_BUCKET": "", "PROVIDER_PUBLIC_URL": "", "SITE_URL": "http://127.0.0.1:8000"}
    # URLs of servers nobody calls: `check` doesn't connect, and the embedded ones aren't started.
    clean |= {"DATABASE_URL": "postgres://nobody@127.0.0.1:9/none", "REDIS_URL": "redis://127.0.0.1:9/0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (result.returncode == 0) is passes, result.stderr
    assert ("assets.E001" in result.stderr) is not passes
