"""Playwright against Debian's Chromium, driving the real app served by pytest-django's live server."""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} for the browser tests (apt-get install chromium).")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium to run browser tests")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def demo_latency() -> float:
    """Seconds each demo provider call takes; a journey that watches progress sets its own."""
    return 1.0


@pytest.fixture
def worker(django_db_blocker, settings, tmp_path, demo_latency):
    """A real Celery worker (solo pool, in this process) on the real Redis; the offline demo
    provider (no keys) at ``demo_latency`` and never failing unless a test says so; media under the
    test's own folder."""
    from config.celery import app
    from tests.in_process_worker import in_process_worker

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FAL_KEY = ""
    settings.XAI_API_KEY = ""
    settings.DEMO_PROVIDER_LATENCY = demo_latency
    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with django_db_blocker.unblock(), in_process_worker(app):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def site(live_server, settings):
    """The live server, with links in emails pointing at it and emails in the dev mailbox
    (pytest-django would otherwise swap in its in-memory backend)."""
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "core.mail.DevMailboxBackend"
    return live_server


def mail_links(to: str, pattern: str) -> list[str]:
    """Links matching ``pattern`` in the plain-text bodies of emails sent to ``to``."""
    from core.mail import stored_mail_list

    links = []
    for mail in stored_mail_list():
        if to in mail.to:
            links += re.findall(pattern, mail.text)
    return links
