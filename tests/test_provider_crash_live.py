"""A real worker killed at the provider boundary: the request has reached fal (over TLS, the real
fal_client) but the worker dies before it stores the request id. Nothing is lost and nothing is
paid twice: the call id travels in the webhook URL, so the late webhook finds the call, a fresh
worker finishes the job, and neither the sweeper nor a repeated submit task sends the request again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from assets.models import Asset
from assets.tests.factories import AssetFactory
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from config.celery import app
from generation import services
from generation.models import EditJob
from providers import gateway, webhooks
from providers.models import ProviderCall
from tests.in_process_worker import in_process_worker
from tests.tls_emulator import JWKS_URL

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
UPSCALER = "fal-ai/seedvr/upscale/image"


def wait_for(predicate, timeout=60.0, interval=0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def _database_url() -> str:
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def configured(tls_providers, live_server, settings, media_root):
    """fal on the TLS emulator, the live server as the public origin (webhooks, input files)."""
    tls_providers.reset()
    settings.FAL_KEY = "fal-test-key"
    settings.FAL_JWKS_URL = JWKS_URL
    settings.FAL_WEBHOOK_USER_ID = tls_providers.fal.user_id
    settings.PROVIDER_PUBLIC_URL = live_server.url
    settings.PROVIDER_OUTPUT_HOSTS = [*settings.PROVIDER_OUTPUT_HOSTS, "127.0.0.1"]
    cache.delete_many(list(webhooks.JWKS_CACHE_KEYS))
    yield tls_providers
    tls_providers.gate.set()
    tls_providers.settle()


@pytest.fixture
def doomed_worker(configured, live_server, media_root):
    """A real `celery worker` process on the test database, Redis and the emulator, to be killed."""
    app.conf.task_always_eager = False
    app.control.purge()
    env = {
        **os.environ,  # FAL_QUEUE_RUN_HOST and SSL_CERT_FILE point fal_client at the emulator
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "MEDIA_ROOT": str(media_root),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "FAL_KEY": "fal-test-key",
        "PROVIDER_PUBLIC_URL": live_server.url,
    }
    env.pop("TEST_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"]
    cmd += ["-Q", "default,generation", "--without-mingle", "--without-gossip", "-l", "info"]
    log = open(Path(media_root).parent / "doomed-worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        log.close()
        app.control.purge()
        app.conf.task_always_eager = True


def test_a_worker_killed_after_sending_loses_no_result_and_sends_nothing_twice(
    configured, doomed_worker, django_db_blocker, org, people, fund
):
    fund(20)
    photo = AssetFactory(org=org, filename="portrait.jpg", size=(320, 240))
    configured.gate.clear()  # fal will queue the request but not answer yet

    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    assert configured.submitted.wait(60), "the worker never reached fal"
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.sent_at is not None  # committed before the request went out
    assert call.request_id is None

    os.killpg(doomed_worker.pid, signal.SIGKILL)  # dies waiting for fal's answer
    doomed_worker.wait(timeout=20)
    # The sweeper, even well past the stale window, doesn't send a sent call again: it waits for
    # the webhook (the call's token is in the URL fal has).
    assert gateway.calls_sweep(now=timezone.now() + timedelta(minutes=5))["resubmitted"] == 0
    assert ProviderCall.objects.get(pk=call.pk).status == ProviderCall.Status.SUBMITTING

    configured.gate.set()  # fal finishes and delivers the signed webhook to the live server
    assert wait_for(lambda: ProviderCall.objects.get(pk=call.pk).status == ProviderCall.Status.SUCCEEDED)
    call.refresh_from_db()
    assert call.request_id == configured.fal.requests[0].request_id  # matched by the token in the URL

    with django_db_blocker.unblock(), in_process_worker(app):
        assert wait_for(lambda: EditJob.objects.get(pk=job.pk).status not in ("queued", "running"))
        # A submit task delivered again (the killed worker never acknowledged it) sends nothing.
        gateway.call_submit(call.pk)

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert [request.endpoint_id for request in configured.fal.requests] == [UPSCALER]  # sent once
    assert (job.result.width, job.result.height) == (640, 480)
    assert Asset.objects.filter(org=org, source=Asset.Source.EDITED).count() == 1
    assert Hold.objects.get(pk=job.hold_id).status == "captured"
    assert credits_available(org) == 20 - job.credits
    assert ledger_problems(org) == []
