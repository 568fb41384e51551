"""Import-from-URL throughput: 50 distinct pictures fetched from a loopback fixture host (the
extension's Save path: API request → SSRF-checked fetch → sniff, clean, thumbnails, dedupe →
asset), one after another in this process (Celery eager), plus the same 50 again (all duplicates,
linked not stored). Never touches the internet.

Runs on its own throwaway database (``bench_personae_imports``) and a temporary MEDIA_ROOT. Run
with ``python -m benchmarks`` (all figures) or ``python -m benchmarks.imports``.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from pathlib import Path

IMAGES = 50
SIZE = (1600, 1200)
DATABASE = "bench_personae_imports"


def _photos() -> list[bytes]:
    from assets.tests import media_samples

    out = []
    for n in range(IMAGES):
        buffer = io.BytesIO()
        media_samples.photo(SIZE, seed=500 + n).save(buffer, "JPEG", quality=88)
        out.append(buffer.getvalue())
    return out


def run() -> list[tuple[str, float, str]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from api.keys import api_key_create
    from assets.models import Asset, MediaImport
    from assets.tests.fixture_host import FixtureHost, Reply
    from benchmarks.library import _owner_and_org

    photos = _photos()
    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="personae-bench-imports-") as tmp,
            FixtureHost() as host,
            override_settings(
                MEDIA_ROOT=str(Path(tmp) / "media"),
                ALLOWED_HOSTS=["testserver"],
                MEDIA_IMPORT_FIXTURE_HOSTS=[host.netloc],
                API_RATE_LIMIT_PER_MINUTE=100_000,
            ),
        ):
            for n, data in enumerate(photos):
                host.routes[f"/originals/{n}.jpg"] = Reply(body=data)
                host.routes[f"/copy/{n}.jpg"] = Reply(body=data)
            owner, org = _owner_and_org()
            _key, whole = api_key_create(org=org, user=owner, name="Bench", scopes=["read", "assets:write"])
            client = Client(headers={"Authorization": f"Bearer {whole}"})
            rows = []
            for label, prefix in (("new pictures", "originals"), ("same bytes again (duplicates)", "copy")):
                each = []
                begun = time.perf_counter()
                for n in range(IMAGES):
                    start = time.perf_counter()
                    answer = client.post(
                        "/api/v1/assets/import",
                        {"media_url": host.url(f"/{prefix}/{n}.jpg"), "site": "pinterest"},
                        content_type="application/json",
                    )
                    assert answer.status_code == 202, answer.content
                    each.append((time.perf_counter() - start) * 1000)
                elapsed = time.perf_counter() - begun
                rows += [
                    (f"{IMAGES} × {SIZE[0]}×{SIZE[1]} JPEG imports, {label}: wall time", elapsed, "s"),
                    ("  throughput", IMAGES / elapsed, "images/s"),
                    ("  per image, median", statistics.median(each), "ms"),
                ]
            statuses = sorted(set(MediaImport.objects.values_list("status", flat=True)))
            assert statuses == ["done", "duplicate"], statuses
            assert Asset.objects.filter(org=org).count() == IMAGES
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous
    return rows


def print_table(rows: list[tuple[str, float, str]]) -> None:
    print("\nImport from URL (the extension's Save; loopback fixture host, 1 process):\n")
    width = max(len(label) for label, _value, _unit in rows) + 2
    for label, value, unit in rows:
        print(f"{label:<{width}}{value:>9.1f} {unit}")


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
