"""Library figures: the grid's server time and SQL queries at 100 and 10,000 assets, the memory a
web process uses to receive 30 × 8 MB uploads, and a drop of 30 camera photos processed end to
end by a real Celery worker. (A single 12 MP photo → thumb + preview is in ``benchmarks.media``.)

Runs on its own throwaway database (``bench_personae_library``, created and dropped here) and a
temporary MEDIA_ROOT. Run with ``python -m benchmarks`` (all figures) or ``python -m benchmarks.library``.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from unittest import mock

RUNS = max(30, int(os.environ.get("BENCH_RUNS", "50")))
PHOTOS = 30
UPLOADS, UPLOAD_MB = 30, 8
DATABASE = "bench_personae_library"
MB = 1024 * 1024
CSRF_SECRET = "benchcsrfsecret0123456789abcdefg"  # 32 characters, what Django keeps in the cookie


def run() -> list[tuple[str, float, str]]:
    """Rows of (label, value, unit)."""
    from django.db import connection
    from django.test.utils import override_settings

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="personae-bench-library-") as tmp,
            override_settings(MEDIA_ROOT=str(Path(tmp) / "media"), ALLOWED_HOSTS=["testserver"]),
        ):
            owner, org = _owner_and_org()
            rows = _memory_of_uploads(owner, org, Path(tmp))
            rows += _worker_batch(owner, org, Path(tmp))
            rows += _library_pages(owner, org)
    finally:
        _disconnect_others(connection)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous_test_name
    return rows


def print_table(rows: list[tuple[str, float, str]]) -> None:
    print("\nLibrary (assets: grid, uploads, worker):\n")
    width = max(len(label) for label, _value, _unit in rows) + 2
    for label, value, unit in rows:
        number = f"{value:>9.0f}" if unit == "queries" else f"{value:>9.1f}"
        print(f"{label:<{width}}{number} {unit}")


# --- Set-up ------------------------------------------------------------------------------------


def _owner_and_org():
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from billing.models import Plan
    from billing.services import org_create_on_default_plan

    owner = User.objects.create(email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z")
    org = org_create_on_default_plan(user=owner, name="Bench Library")
    org.plan = Plan.objects.get(slug="agency")  # room for everything below
    org.save(update_fields=["plan"])
    return owner, org


def _logged_in(owner):
    from django.test import Client

    client = Client()
    client.force_login(owner)
    return client


def _disconnect_others(connection) -> None:
    """The worker thread's connection would stop the database from being dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )


# --- The grid ----------------------------------------------------------------------------------


def _fill(org, total: int) -> None:
    """Top the org up to ``total`` asset rows (made-up storage keys, no files), some tagged."""
    from django.db.models.functions import Lower

    from assets.models import Asset, Tag
    from assets.tests.factories import AssetRowFactory

    tags = list(Tag.objects.for_org(org)) or [Tag.objects.create(org=org, name=f"tag {i}") for i in range(20)]
    existing = Asset.objects.for_org(org).count()
    for start in range(existing, total, 2000):
        batch = [
            AssetRowFactory.build(
                org=org,
                kind="video" if i % 10 == 0 else "image",
                duration=12.5 if i % 10 == 0 else None,
                liked=i % 7 == 0,
                nsfw=i % 50 == 0,
                title=f"Photo {i}",
            )
            for i in range(start, min(total, start + 2000))
        ]
        Asset.objects.bulk_create(batch)
        through = Asset.tags.through
        through.objects.bulk_create(
            [through(asset_id=a.pk, tag_id=tags[n % len(tags)].pk) for n, a in enumerate(batch) if n % 3 == 0]
        )
    Asset.objects.for_org(org).filter(search_text="").update(search_text=Lower("title"))
    # A live database has planner statistics (autovacuum); give the fresh tables theirs.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assets_asset; ANALYZE assets_asset_tags; ANALYZE assets_tag")


def _measure(client, url: str, **headers) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)  # warm caches and connections
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url, **headers)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def _library_pages(owner, org) -> list[tuple[str, float, str]]:
    client = _logged_in(owner)
    url = f"/o/{org.slug}/library/"
    rows = []
    for total in (100, 10_000):
        _fill(org, total)
        median, p95, queries = _measure(client, url)
        rows += [
            (f"library page, {total:,} assets: median of {RUNS}", median, "ms"),
            (f"library page, {total:,} assets: p95", p95, "ms"),
            (f"library page, {total:,} assets: SQL queries", queries, "queries"),
        ]
    # Deep in the grid: the keyset cursor of the 9,000th item, as infinite scroll asks for it.
    median, _p95, queries = _measure(client, f"{url}?cursor={_deep_cursor(org, 9_000)}", HTTP_HX_REQUEST="true")
    rows += [
        ("next page (HTMX) at item 9,000 of 10,000: median", median, "ms"),
        ("next page (HTMX) at item 9,000 of 10,000: SQL queries", queries, "queries"),
    ]
    median, _p95, queries = _measure(client, f"{url}?q=photo&kind=image&liked=on")
    rows += [("search + filters, 10,000 assets: median", median, "ms")]
    return rows


def _deep_cursor(org, position: int) -> str:
    from assets.models import Asset
    from assets.selectors import _encode_cursor

    asset = Asset.objects.for_org(org).order_by("-created_at", "-id")[position - 1]
    return _encode_cursor(asset)


# --- Memory of the streaming upload view -------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _memory_of_uploads(owner, org, tmp: Path) -> list[tuple[str, float, str]]:
    """30 × 8 MB PUTs through Django's WSGI handler, the body read from a file as a server would
    hand it over: what the web process holds is what the view holds."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    body = tmp / "upload.bin"
    with body.open("wb") as fh:
        for _ in range(UPLOAD_MB):
            fh.write(os.urandom(MB))
    size = body.stat().st_size
    client = _logged_in(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
    cookie += f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}"
    handler = WSGIHandler()

    def put(path: str) -> None:
        status = []
        with body.open("rb") as stream:
            environ = {
                "REQUEST_METHOD": "PUT",
                "PATH_INFO": path,
                "SERVER_NAME": "testserver",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_HOST": "testserver",
                "HTTP_COOKIE": cookie,
                "HTTP_X_CSRFTOKEN": CSRF_SECRET,
                "CONTENT_TYPE": "application/octet-stream",
                "CONTENT_LENGTH": str(size),
                "wsgi.input": stream,
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
            }
            response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
            b"".join(response)
            response.close()
        assert status[0].startswith("200"), status

    def one_upload(n: int) -> None:
        started = client.post(
            f"/o/{org.slug}/library/uploads/", {"filename": f"big-{n}.jpg", "size": size, "content_type": "image/jpeg"}
        ).json()
        put(started["target"]["url"])
        client.post(started["cancel_url"])  # not a real photo: drop it rather than process it

    one_upload(0)  # warm up: imports, connections, the session
    gc.collect()
    rss_before, maxrss_before = _rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    begun = time.perf_counter()
    for n in range(1, UPLOADS + 1):
        one_upload(n)
    elapsed = time.perf_counter() - begun
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    rss_after, maxrss_after = _rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    label = f"{UPLOADS} × {UPLOAD_MB} MB uploads through the PUT view"
    return [
        (f"{label}: wall time", elapsed, "s"),
        (f"{label}: peak Python allocations above start", (peak - baseline) / MB, "MB"),
        (f"{label}: Python allocations kept", (current - baseline) / MB, "MB"),
        (f"{label}: RSS growth", (rss_after - rss_before) / MB, "MB"),
        (f"{label}: peak RSS growth (ru_maxrss)", (maxrss_after - maxrss_before) / MB, "MB"),
    ]


# --- A drop of photos on a real worker ---------------------------------------------------------


def _worker_batch(owner, org, tmp: Path) -> list[tuple[str, float, str]]:
    """30 camera-sized JPEGs: start → PUT → complete each (as the uploader does) while one real
    worker (solo pool, on a queue of its own) processes them; wall time until the last is done."""
    from celery.contrib.testing.worker import start_worker

    from assets.models import Asset, Upload
    from assets.tasks import process_upload
    from assets.tests import media_samples
    from config.celery import app

    folder = tmp / "photos"
    folder.mkdir()
    photos = [media_samples.jpeg(folder / f"{i}.jpg", (4000, 3000), seed=500 + i).read_bytes() for i in range(PHOTOS)]
    queue = f"bench-library-{uuid.uuid4().hex[:12]}"
    client = _logged_in(owner)
    consume_from = app.amqp.queues._consume_from
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch("assets.tasks.process_upload") as routed,
            start_worker(app, queues=[queue], pool="solo", perform_ping_check=False, shutdown_timeout=60),
        ):
            routed.delay.side_effect = lambda upload_id: process_upload.apply_async((upload_id,), queue=queue)
            begun = time.perf_counter()
            ids = []
            for i, data in enumerate(photos):
                started = client.post(
                    f"/o/{org.slug}/library/uploads/",
                    {"filename": f"IMG_{i:04}.jpg", "size": len(data), "content_type": "image/jpeg"},
                ).json()
                client.put(started["target"]["url"], data, content_type="application/octet-stream")
                client.post(started["complete_url"])
                ids.append(started["id"])
            uploaded = time.perf_counter() - begun
            deadline = time.monotonic() + 300
            while Upload.objects.filter(public_id__in=ids, status__in=["received", "processing"]).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("the worker didn't finish the batch in 5 minutes")
                time.sleep(0.05)
            elapsed = time.perf_counter() - begun
    finally:
        app.amqp.queues._consume_from = consume_from
        app.conf.task_always_eager = True
    done = Asset.objects.filter(org=org, variants__has_keys=["thumb", "preview"]).count()
    assert done == PHOTOS, f"only {done} of {PHOTOS} photos became assets"
    return [
        (f"{PHOTOS} × 12 MP photos, upload + process on 1 worker: wall time", elapsed, "s"),
        (f"{PHOTOS} × 12 MP photos: of which sending them (start, PUT, complete)", uploaded, "s"),
        (f"{PHOTOS} × 12 MP photos: per photo", elapsed / PHOTOS * 1000, "ms"),
    ]


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
