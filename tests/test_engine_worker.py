"""The job engine on a real Celery worker and the real Redis: an upscale travels submit → demo
provider → finish through the broker, and a worker killed mid-task still finishes the job once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import pytest
from django.conf import settings
from django.db import connection

from assets.models import Asset
from assets.tests.factories import AssetFactory
from billing.models import Hold
from billing.services import credits_available, credits_grant, ledger_problems
from config.celery import app
from generation import services
from generation.models import EditJob
from tests.factories import MembershipFactory, OrganizationFactory
from tests.in_process_worker import in_process_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def funded(media):
    org = OrganizationFactory()
    user = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=20, key=f"test:{org.pk}", description="Test credits")
    photo = AssetFactory(org=org, filename="portrait.jpg", size=(200, 150))
    return org, user, photo


@pytest.fixture
def live_worker(django_db_blocker, settings):
    settings.FAL_KEY = ""
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with django_db_blocker.unblock(), in_process_worker(app):
            yield
    finally:
        app.conf.task_always_eager = True


def test_an_upscale_goes_queued_running_done_through_the_broker(settings, live_worker, funded):
    settings.DEMO_PROVIDER_LATENCY = 1.0
    org, user, photo = funded
    job = services.upscale_start(org=org, user=user, asset=photo, factor=2)  # outside a transaction: sent now
    seen = []

    def status():
        current = EditJob.objects.get(pk=job.pk).status
        if not seen or seen[-1] != current:
            seen.append(current)
        return current in ("succeeded", "failed")

    assert wait_for(status, timeout=30)
    assert seen == ["queued", "running", "succeeded"], seen
    job.refresh_from_db()
    assert (job.result.width, job.result.height) == (400, 300)
    assert credits_available(org) == 12
    assert ledger_problems(org) == []


def _database_url() -> str:
    """The test database's URL: the server's URL with the test database's name."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def prefork_worker(media):
    """A real `celery worker` process (prefork, one child) on the test database and Redis."""
    app.conf.task_always_eager = False
    app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": media,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEMO_PROVIDER_LATENCY": "5",
        "FAL_KEY": "",
    }
    env.pop("TEST_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", "1"]
    cmd += ["-Q", "default,generation", "--without-mingle", "--without-gossip", "-l", "info"]
    log = open(Path(media).parent / "worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        app.control.purge()
        app.conf.task_always_eager = True


def test_a_worker_killed_mid_task_finishes_the_job_once_with_exact_credits(prefork_worker, funded):
    org, user, photo = funded
    job = services.upscale_start(org=org, user=user, asset=photo, factor=2)
    # The demo provider 'runs' for ~3 s; kill the pool process while it does.
    assert wait_for(lambda: EditJob.objects.get(pk=job.pk).status == "running", timeout=60)
    children = psutil.Process(prefork_worker.pid).children()
    assert children, "the prefork worker has no pool process"
    for child in children:
        child.kill()

    assert wait_for(lambda: EditJob.objects.get(pk=job.pk).status in ("succeeded", "failed"), timeout=90)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    time.sleep(2)  # a second delivery of any step would have landed by now
    assert Asset.objects.filter(org=org, source=Asset.Source.EDITED).count() == 1
    assert Hold.objects.get(pk=job.hold_id).status == "captured"
    assert credits_available(org) == 12
    assert ledger_problems(org) == []
