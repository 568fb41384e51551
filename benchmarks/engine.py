"""Job engine figures: what the gateway and job machinery add around a provider's work.

1. Upscales on the offline demo provider at zero latency, through one real Celery worker (solo
   pool) on the real Redis: ``upscale_start`` → ``call_submit`` → ``demo_run`` → ``call_finish`` →
   the result stored in the library and the hold captured. Per call, one after another: median
   and p95 from enqueue to done, as the caller sees it (until the worker finished ``call_finish``)
   and as the job row records it (``finished_at − created_at``). Then the same number enqueued at
   once (one commit), for throughput.
2. The provider webhook view against a bare ``JsonResponse`` view, both POSTed through the same
   Django test client and middleware: signed fal deliveries (Ed25519, our own key served as the
   cached JWKS) for distinct calls, each a real first delivery, and the same deliveries again
   (duplicates).

Runs on its own throwaway database (``bench_personae_engine``), a temporary MEDIA_ROOT, its own
cache key prefix and its own Celery queue (deleted afterwards), so a running dev worker neither
steals its tasks nor sees them. Run with ``python -m benchmarks`` (all figures) or
``python -m benchmarks.engine``; ``BENCH_ENGINE_CALLS`` / ``BENCH_ENGINE_WEBHOOKS`` change the counts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

CALLS = int(os.environ.get("BENCH_ENGINE_CALLS", "200"))
WEBHOOKS = int(os.environ.get("BENCH_ENGINE_WEBHOOKS", "500"))
WARM_UP = 5
DIAGNOSTIC_CALLS = max(10, CALLS // 4)
DATABASE = "bench_personae_engine"
FAL_USER = "bench-fal-user"
UPSCALE_ENDPOINT = "fal-ai/seedvr/upscale/image"

Row = tuple[str, str, str]  # measure, result, target


def run() -> list[Row]:
    """Rows of (measure, result, target)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    prefix = f"bench-engine-{uuid.uuid4().hex[:8]}"
    cache_settings = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="personae-bench-engine-") as tmp,
            override_settings(
                MEDIA_ROOT=str(Path(tmp) / "media"),
                ALLOWED_HOSTS=["testserver"],
                CACHES=cache_settings,  # our own key prefix: nothing here touches the app's cache entries
                FAL_KEY="",  # the demo provider answers upscales
                DEMO_PROVIDER_LATENCY=0,
                DEMO_PROVIDER_FAILURE_RATE=0,
                FAL_WEBHOOK_USER_ID=FAL_USER,
            ),
        ):
            try:
                org, owner, source = _set_up()
                load = os.getloadavg()[0]
                rows = _engine(org, owner, source)
                rows += _webhooks(org)
                rows.append(
                    (
                        "machine: load average (1 min) at start → end, CPUs",
                        f"{load:.1f} → {os.getloadavg()[0]:.1f}, {os.cpu_count()}",
                        "",
                    )
                )
            finally:
                _forget_cache_entries()
    finally:
        _disconnect_others(connection)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous_test_name
    return rows


def print_table(rows: list[Row]) -> None:
    print("\nJob engine (demo provider at 0 s latency, 1 real worker; webhook view vs a bare view):\n")
    width = max(len(measure) for measure, _result, _target in rows) + 2
    result_width = max(len(result) for _measure, result, _target in rows) + 2
    print(f"{'measure':<{width}}{'result':>{result_width}}  target")
    for measure, result, target in rows:
        print(f"{measure:<{width}}{result:>{result_width}}  {target}")


# --- Set-up ------------------------------------------------------------------------------------


def _set_up():
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from assets.tests.factories import AssetFactory
    from billing.models import Plan
    from billing.services import credits_grant, org_create_on_default_plan

    owner = User.objects.create(email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z")
    org = org_create_on_default_plan(user=owner, name="Bench Engine")
    org.plan = Plan.objects.get(slug="agency")  # room for every result below
    org.save(update_fields=["plan"])
    credits_grant(org=org, amount=1_000_000, key="bench-engine", description="Benchmark")
    source = AssetFactory(org=org, filename="source.jpg", size=(256, 256), seed=4)
    return org, owner, source


def _disconnect_others(connection) -> None:
    """The worker thread's connection would stop the database from being dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )


def _forget_cache_entries() -> None:
    """The demo provider's request states and the JWKS we planted, under our own prefix."""
    from django.core.cache import cache

    from providers import webhooks
    from providers.adapters.demo import _state_key
    from providers.models import ProviderCall

    request_ids = ProviderCall.objects.filter(provider="demo", request_id__isnull=False).values_list(
        "request_id", flat=True
    )
    cache.delete_many([_state_key(r) for r in request_ids] + [webhooks.JWKS_CACHE_KEY, webhooks.JWKS_REFETCHED_KEY])


def _delete_queue(app, queue: str) -> None:
    """Drop the queue's messages and its binding in Redis (declared first, or kombu doesn't know it)."""
    from kombu import Exchange, Queue

    with app.connection_for_write() as conn:
        bound = Queue(queue, Exchange(queue), routing_key=queue)(conn.default_channel)
        bound.declare()
        bound.delete()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


# --- 1. Engine overhead on one real worker ------------------------------------------------------


class _Timeline:
    """When the worker started and ended each provider task, keyed ``(task, call id or request id)``,
    from Celery's signals in the worker thread. ``wait`` wakes the benchmark when ``call_finish``
    has run for its calls (the job settled and committed inside it), without polling the database."""

    def __init__(self):
        self.started: dict[tuple[str, object], float] = {}
        self.ended: dict[tuple[str, object], float] = {}
        self.condition = threading.Condition()

    @staticmethod
    def _key(task, args) -> tuple[str, object] | None:
        name = getattr(task, "name", "")
        if not name.startswith("providers.tasks.") or not args:
            return None
        short = name.removeprefix("providers.tasks.")
        return short, args[1] if short == "demo_run" else args[0]

    def prerun(self, sender=None, task=None, args=None, **_kwargs) -> None:
        if key := self._key(task, args):
            self.started.setdefault(key, time.perf_counter())

    def postrun(self, sender=None, task=None, args=None, state=None, **_kwargs) -> None:
        key = self._key(task, args)
        if key and state in ("SUCCESS", "FAILURE"):  # not RETRY: that call isn't done yet
            with self.condition:
                self.ended.setdefault(key, time.perf_counter())
                self.condition.notify_all()

    def wait(self, call_ids: set[int], timeout: float) -> None:
        wanted = {("call_finish", pk) for pk in call_ids}
        deadline = time.monotonic() + timeout
        with self.condition:
            while not wanted <= self.ended.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{len(wanted - self.ended.keys())} calls weren't finished in {timeout:.0f} s")
                self.condition.wait(left)


@contextlib.contextmanager
def _one_worker(timeline: _Timeline):
    """One real worker (solo pool) in a thread, on a private queue that every provider task is sent
    to, with eager mode off; the queue is deleted afterwards."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun, task_prerun

    from config.celery import app
    from providers import tasks

    queue = f"bench-engine-{uuid.uuid4().hex[:12]}"
    real_demo_run = tasks.demo_run

    def demo_run_on_our_queue(*args, **kwargs):
        return real_demo_run.apply_async(*args, **{**kwargs, "queue": queue})

    task_prerun.connect(timeline.prerun, weak=False)
    task_postrun.connect(timeline.postrun, weak=False)
    consume_from = app.amqp.queues._consume_from
    celery_log = logging.getLogger("celery")
    log_level = celery_log.level
    celery_log.setLevel(logging.WARNING)  # not a line per task
    app.conf.task_always_eager = False
    try:
        with (
            # call_submit and call_finish (gateway.queue_for: "generation") and the demo's run (sent
            # to "default") all on our queue, so a dev worker on the same Redis can't take them.
            mock.patch("providers.gateway.queue_for", return_value=queue),
            mock.patch("providers.tasks.demo_run") as routed,
            start_worker(app, queues=[queue], pool="solo", perform_ping_check=False, shutdown_timeout=60),
        ):
            routed.apply_async.side_effect = demo_run_on_our_queue
            yield
    finally:
        task_prerun.disconnect(timeline.prerun)
        task_postrun.disconnect(timeline.postrun)
        app.amqp.queues._consume_from = consume_from
        app.conf.task_always_eager = True
        celery_log.setLevel(log_level)
        _delete_queue(app, queue)


class _Connections:
    """PostgreSQL connections opened by threads other than this one (the worker's)."""

    def __init__(self):
        self.opened = 0

    def __call__(self, sender=None, connection=None, **_kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.opened += 1


@contextlib.contextmanager
def _synchronous_commit_off():
    """Diagnostic only: commits that don't wait for the WAL flush, in this session and in every
    new connection to the (throwaway) database, to show what the disk's fsync costs."""
    from django.db import connection

    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} RESET synchronous_commit")
            cursor.execute("SET synchronous_commit = DEFAULT")


@contextlib.contextmanager
def _worker_keeps_db_connection():
    """Diagnostic only: as if ``CELERY_DB_REUSE_MAX`` were set. Without it Celery's Django fixup
    closes the worker's database connection before and after every task."""
    from config.celery import app

    fixups = [f._worker_fixup for f in getattr(app, "_fixups", []) if getattr(f, "_worker_fixup", None)]
    saved = [(fixup, fixup.db_reuse_max) for fixup in fixups]
    for fixup in fixups:
        fixup.db_reuse_max = 1_000_000
    try:
        yield bool(fixups)
    finally:
        for fixup, value in saved:
            fixup.db_reuse_max = value


def _engine(org, owner, source) -> list[Row]:
    from django.db import transaction
    from django.db.backends.signals import connection_created

    from generation.models import EditJob
    from generation.services import upscale_start
    from providers.models import ProviderCall

    timeline = _Timeline()
    connections = _Connections()

    def one() -> tuple[int, int, float, float]:
        """(job id, call id, when it was enqueued, when upscale_start returned); the end is in ``timeline``."""
        begun = time.perf_counter()
        job = upscale_start(org=org, user=owner, asset=source, factor=2)  # commits: call_submit is sent
        returned = time.perf_counter()
        timeline.wait({job.call_id}, timeout=60)
        return job.pk, job.call_id, begun, returned

    with _one_worker(timeline):
        for _ in range(WARM_UP):
            one()
        connection_created.connect(connections, weak=False)
        begun = time.perf_counter()
        sequential = [one() for _ in range(CALLS)]
        sequential_wall = time.perf_counter() - begun
        connection_created.disconnect(connections)

        # All at once: the jobs in one transaction, so every call_submit is sent at its commit.
        begun = time.perf_counter()
        with transaction.atomic():
            burst = [upscale_start(org=org, user=owner, asset=source, factor=2) for _ in range(CALLS)]
            committing = time.perf_counter()
        timeline.wait({job.call_id for job in burst}, timeout=600)
        last = max(timeline.ended[("call_finish", job.call_id)] for job in burst)

        # Diagnostics, interleaved call by call so the machine's load falls on each alike: as is,
        # with commits that don't wait for the disk, and with the worker keeping its connection.
        control, no_fsync, reused = [], [], []
        for _ in range(DIAGNOSTIC_CALLS):
            control.append(one())
            with _synchronous_commit_off():
                no_fsync.append(one())
            with _worker_keeps_db_connection() as found:
                if found:
                    reused.append(one())

    job_ids = [pk for pk, *_rest in sequential + control + no_fsync + reused] + [job.pk for job in burst]
    jobs = {job.pk: job for job in EditJob.objects.filter(pk__in=job_ids)}
    failed = [job for job in jobs.values() if job.status != "succeeded" or job.result_id is None]
    assert not failed, f"{len(failed)} upscales didn't succeed, e.g. {failed[0].status}: {failed[0].error}"
    request_ids = dict(
        ProviderCall.objects.filter(pk__in=[c for _j, c, *_r in sequential]).values_list("pk", "request_id")
    )
    ended, started = timeline.ended, timeline.started

    def caller_ms(runs) -> list[float]:
        return [(ended[("call_finish", call)] - begun) * 1000 for _job, call, begun, _returned in runs]

    def phases(job, call, begun, returned) -> dict[str, float]:
        request = request_ids[call]
        marks = [
            ("in the caller: upscale_start (job, hold, call, commit, send)", begun, returned),
            ("Redis → worker starts call_submit", returned, started[("call_submit", call)]),
            ("call_submit (inputs, demo submit, record)", started[("call_submit", call)], ended[("call_submit", call)]),
            ("Redis → worker starts demo_run", ended[("call_submit", call)], started[("demo_run", request)]),
            ("demo_run (Lanczos 2×, JPEG, statuses)", started[("demo_run", request)], ended[("demo_run", request)]),
            ("Redis → worker starts call_finish", ended[("demo_run", request)], started[("call_finish", call)]),
            (
                "call_finish (copy into library, renditions, capture)",
                started[("call_finish", call)],
                ended[("call_finish", call)],
            ),
        ]
        return {label: (end - start) * 1000 for label, start, end in marks}

    client_ms = caller_ms(sequential)
    server_ms = [(jobs[pk].finished_at - jobs[pk].created_at).total_seconds() * 1000 for pk, *_rest in sequential]
    breakdown = [phases(*run) for run in sequential]
    drain = last - committing
    label = f"{CALLS} upscales 256² → 512², one after another"
    rows = [
        (f"{label}: enqueue → stored, median (caller)", f"{statistics.median(client_ms):.1f} ms", "≤ 150 ms"),
        (f"{label}: enqueue → stored, p95 (caller)", f"{_p95(client_ms):.1f} ms", ""),
        (f"{label}: job created → finished, median (job row)", f"{statistics.median(server_ms):.1f} ms", "≤ 150 ms"),
        (f"{label}: job created → finished, p95 (job row)", f"{_p95(server_ms):.1f} ms", ""),
        (f"{label}: wall time", f"{sequential_wall:.2f} s", ""),
        (f"{label}: throughput", f"{CALLS / sequential_wall:.1f} calls/s", ""),
    ]
    rows += [
        (f"  of which, median: {phase}", f"{statistics.median(b[phase] for b in breakdown):.1f} ms", "")
        for phase in breakdown[0]
    ]
    rows += [
        ("  PostgreSQL connections the worker opened per call", f"{connections.opened / CALLS:.1f}", ""),
        (f"{CALLS} upscales enqueued in one commit: creating them", f"{committing - begun:.2f} s", ""),
        (f"{CALLS} upscales enqueued in one commit: commit → last stored", f"{drain:.2f} s", ""),
        (f"{CALLS} upscales enqueued in one commit: throughput", f"{CALLS / drain:.1f} calls/s", ""),
    ]
    diagnostic = f"diagnostic, {DIAGNOSTIC_CALLS} each interleaved, median (caller)"
    rows.append((f"{diagnostic}: as above", f"{statistics.median(caller_ms(control)):.1f} ms", ""))
    rows.append((f"{diagnostic}: synchronous_commit=off", f"{statistics.median(caller_ms(no_fsync)):.1f} ms", ""))
    if reused:
        rows.append(
            (
                f"{diagnostic}: worker keeps its DB connection",
                f"{statistics.median(caller_ms(reused)):.1f} ms",
                "",
            )
        )
    return rows


# --- 2. The webhook view against a bare view ---------------------------------------------------


def _webhooks(org) -> list[Row]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from config.celery import app
    from generation.services import CALL_HANDLER
    from providers import webhooks
    from providers.models import ProviderCall, WebhookDelivery

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    cache.set(webhooks.JWKS_CACHE_KEY, [base64.urlsafe_b64encode(public).decode().rstrip("=")], 3600)

    warm_up = 20
    calls = ProviderCall.objects.bulk_create(
        [
            ProviderCall(
                org=org,
                operation="upscale",
                provider="fal",
                endpoint_id=UPSCALE_ENDPOINT,
                status=ProviderCall.Status.QUEUED,
                request_id=f"bench-{uuid.uuid4()}",
                handler=CALL_HANDLER.name,
            )
            for _ in range(warm_up + 3 * WEBHOOKS)
        ]
    )
    signed = [(call, *_signed(key, call)) for call in calls]  # signed up front: fal's cost, not ours
    queue = f"bench-engine-webhooks-{uuid.uuid4().hex[:12]}"
    client = Client()

    def post_all(batch, *, bare: bool = False, expect: str = "ok") -> float:
        """Requests per second for POSTing ``batch``."""
        begun = time.perf_counter()
        for url, bare_url, body, headers in batch:
            response = client.post(bare_url if bare else url, body, content_type="application/json", headers=headers)
            assert response.status_code == 200, (response.status_code, response.content[:200])
        elapsed = time.perf_counter() - begun
        answer = response.json()
        wanted = {"ok": True, "duplicate": True} if expect == "duplicate" else {"ok": True}
        assert answer == wanted, answer
        return len(batch) / elapsed

    app.conf.task_always_eager = False
    try:
        with (
            override_settings(ROOT_URLCONF="benchmarks.engine_urls"),
            mock.patch("providers.gateway.queue_for", return_value=queue),
        ):
            requests = [
                (
                    reverse("providers:webhook", args=["fal", call.webhook_token]),
                    reverse("bench_bare", args=["fal", call.webhook_token]),
                    body,
                    headers,
                )
                for call, body, headers in signed
            ]
            warm, mocked = requests[:warm_up], requests[warm_up : warm_up + WEBHOOKS]
            published = requests[warm_up + WEBHOOKS : warm_up + 2 * WEBHOOKS]
            no_fsync = requests[warm_up + 2 * WEBHOOKS :]
            with mock.patch("providers.tasks.call_finish"):
                post_all(warm)
                post_all(warm, bare=True)
                bare_before = post_all(mocked, bare=True)
                first = post_all(mocked)
                bare_after = post_all(mocked, bare=True)
                duplicate = post_all(mocked, expect="duplicate")
                with _synchronous_commit_off():
                    first_no_fsync = post_all(no_fsync)
            first_published = post_all(published)  # call_finish really sent to Redis (our queue)
    finally:
        app.conf.task_always_eager = True
        _delete_queue(app, queue)

    moved = ProviderCall.objects.filter(pk__in=[c.pk for c in calls], status=ProviderCall.Status.SUCCEEDED).count()
    assert moved == len(calls), f"only {moved} of {len(calls)} calls were moved on by their webhook"
    assert WebhookDelivery.objects.filter(provider="fal").count() == len(calls)
    bare = 2 / (1 / bare_before + 1 / bare_after)  # the same requests, before and after
    label = f"{WEBHOOKS} signed fal webhooks through the test client"
    return [
        (f"{label}: bare JsonResponse view", f"{bare:.0f} req/s", ""),
        (f"{label}: webhook view, first delivery", f"{first:.0f} req/s", ""),
        (f"{label}: webhook view, first delivery ÷ bare view", f"{first / bare:.2f}", "≥ 0.5"),
        (f"{label}: webhook view, first delivery + call_finish sent to Redis", f"{first_published:.0f} req/s", ""),
        (f"{label}: the same ÷ bare view", f"{first_published / bare:.2f}", "≥ 0.5"),
        (f"{label}: webhook view, duplicate delivery", f"{duplicate:.0f} req/s", ""),
        (f"{label}: duplicate ÷ bare view", f"{duplicate / bare:.2f}", ""),
        (
            "diagnostic, first delivery with synchronous_commit=off ÷ bare view",
            f"{first_no_fsync / bare:.2f} ({first_no_fsync:.0f} req/s)",
            "",
        ),
    ]


def _signed(key, call) -> tuple[bytes, dict[str, str]]:
    """The completion webhook fal would POST for ``call``, signed as fal signs it."""
    payload = {
        "request_id": call.request_id,
        "gateway_request_id": str(uuid.uuid4()),
        "status": "OK",
        "payload": {
            "image": {
                "url": f"https://v3.fal.media/files/bench/{call.request_id}.jpg",
                "content_type": "image/jpeg",
                "width": 512,
                "height": 512,
            },
            "seed": 42,
        },
    }
    body = json.dumps(payload).encode()
    sent_at = str(int(time.time()))
    message = "\n".join([call.request_id, FAL_USER, sent_at, hashlib.sha256(body).hexdigest()]).encode()
    headers = {
        "X-Fal-Webhook-Request-Id": call.request_id,
        "X-Fal-Webhook-User-Id": FAL_USER,
        "X-Fal-Webhook-Timestamp": sent_at,
        "X-Fal-Webhook-Signature": key.sign(message).hex(),
    }
    return body, headers


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
