"""Dataset check figures: 30 photos of 12 MP each, end to end, on this machine.

Thirty 4000 × 3000 JPEGs (person A from ``fixtures/faces``, scaled up with camera-like grain,
each a different crop) are stored as assets (``asset_create_from_file``) and added to a
character's dataset one by one, as uploads arrive; each is analysed by a real ``celery worker``
process (prefork, 2 children: both cores) as soon as it is added; then the dataset check runs on
the worker. The clock runs from the first file to the check's verdict. Afterwards the same 30
files are analysed again in this process, one after another, for the decode / detect / embed
split.

Runs on its own throwaway database (``bench_personae_characters``), a temporary MEDIA_ROOT and its
own Celery queue (deleted afterwards). Run with ``python -m benchmarks`` (all figures) or
``python -m benchmarks.characters``.
"""

from __future__ import annotations

import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

PHOTOS = 30
SIZE = (4000, 3000)
WORKER_CHILDREN = 2
DATABASE = "bench_personae_characters"
ROOT = Path(__file__).resolve().parent.parent
LAYOUT = ["closeup"] * 12 + ["half"] * 9 + ["full"] * 6 + ["variety"] * 3

Row = tuple[str, str, str]  # measure, result, target


def run() -> list[Row]:
    from django.db import connection
    from django.test.utils import override_settings

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory(prefix="personae-bench-characters-") as tmp:
            media_root = Path(tmp) / "media"
            with override_settings(MEDIA_ROOT=str(media_root)):
                files = _camera_photos(Path(tmp) / "photos")
                rows, previews = _end_to_end(files, media_root, Path(tmp))
                rows += _split(files, previews)
    finally:
        _disconnect_others(connection)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous_test_name
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"\nDataset check ({PHOTOS} photos of 12 MP; 1 worker process, {WORKER_CHILDREN} children):\n")
    width = max(len(measure) for measure, _result, _target in rows) + 2
    result_width = max(len(result) for _measure, result, _target in rows) + 2
    print(f"{'measure':<{width}}{'result':>{result_width}}  target")
    for measure, result, target in rows:
        print(f"{measure:<{width}}{result:>{result_width}}  {target}")


# --- Set-up -------------------------------------------------------------------------------------


def _camera_photos(folder: Path) -> list[Path]:
    """Thirty 4000 × 3000 JPEGs (quality 90, with sensor-like grain) of person A, face kept in frame."""
    import numpy as np
    from PIL import Image

    from characters import identity
    from characters.tests import photos

    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    paths = []
    for i, data in enumerate(photos.person_a_photos(PHOTOS)):
        with Image.open(io.BytesIO(data)) as im:
            image = im.convert("RGB")
        [face, *_rest] = identity.analyse(image)
        scale = max(SIZE[0] / image.width, SIZE[1] / image.height)
        big = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
        cx = (face.box[0] + face.box[2]) / 2 * scale
        cy = (face.box[1] + face.box[3]) / 2 * scale
        left = int(min(max(0, cx - SIZE[0] / 2), big.width - SIZE[0]))
        top = int(min(max(0, cy - SIZE[1] / 2), big.height - SIZE[1]))
        frame = np.asarray(big.crop((left, top, left + SIZE[0], top + SIZE[1])), dtype=np.int16)
        grain = rng.normal(0, 3.0, size=(*frame.shape[:2], 1)).astype(np.int16)
        frame = np.clip(frame + grain, 0, 255).astype(np.uint8)
        path = folder / f"IMG_{4000 + i}.jpg"
        Image.fromarray(frame).save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def _set_up():
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from billing.models import Plan
    from billing.services import org_create_on_default_plan
    from characters.models import Character

    owner = User.objects.create(email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z")
    org = org_create_on_default_plan(user=owner, name="Bench Characters")
    org.plan = Plan.objects.get(slug="agency")
    org.save(update_fields=["plan"])
    character = Character.objects.create(org=org, name="Bench", origin=Character.Origin.PHOTOS, created_by=owner)
    return org, owner, character


def _disconnect_others(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )


def _database_url() -> str:
    from django.db import connection

    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


class _Worker:
    """A real ``celery worker`` process (prefork, both cores) on our database, media and queue."""

    def __init__(self, media_root: Path, log: Path):
        from django.conf import settings

        self.queue = f"bench-characters-{uuid.uuid4().hex[:12]}"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MEDIA_ROOT": str(media_root),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DEBUG": "false",
        }
        env.pop("TEST_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "prefork", "-c", str(WORKER_CHILDREN)]
        cmd += ["-Q", self.queue, "--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "warning"]
        self.log = log.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and fixed arguments)
            cmd, cwd=ROOT, env=env, start_new_session=True, stdout=self.log, stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        from benchmarks.engine import _delete_queue
        from config.celery import app

        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()
        _delete_queue(app, self.queue)


def _cpu_seconds(worker: _Worker) -> float:
    """User + system CPU time of the worker's pool processes so far."""
    import psutil

    total = 0.0
    for child in psutil.Process(worker.proc.pid).children(recursive=True):
        times = child.cpu_times()
        total += times.user + times.system
    return total


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} didn't happen in {timeout:.0f} s")
        time.sleep(0.02)


# --- 1. End to end on the worker ----------------------------------------------------------------


def _end_to_end(files: list[Path], media_root: Path, tmp: Path) -> tuple[list[Row], list[Path]]:
    from assets.services import asset_create_from_file
    from characters import dataset
    from characters.models import DatasetCheck, DatasetImage
    from config.celery import app

    org, owner, character = _set_up()
    worker = _Worker(media_root, tmp / "worker.log")
    real_analyse, real_check = dataset.dataset_image_analyse, dataset.dataset_check_run
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch("characters.dataset.dataset_image_analyse") as analyse_task,
            mock.patch("characters.dataset.dataset_check_run") as check_task,
        ):
            analyse_task.delay.side_effect = lambda pk: real_analyse.apply_async((pk,), queue=worker.queue)
            check_task.delay.side_effect = lambda pk: real_check.apply_async((pk,), queue=worker.queue)

            # Warm-up (not timed): the worker's children start and load the face models once.
            warm = _warm_up(org, files, worker)

            creating = []
            worker_cpu = _cpu_seconds(worker)
            parent_cpu = time.process_time()
            begun = time.perf_counter()
            for i, (path, bucket) in enumerate(zip(files, LAYOUT, strict=True)):
                started = time.perf_counter()
                asset = asset_create_from_file(org=org, path=path, filename=path.name, created_by=owner)
                image = DatasetImage.objects.create(
                    org=org, character=character, asset=asset, bucket=bucket, position=i
                )
                dataset.analysis_enqueue(image)  # outside a transaction: sent at once
                creating.append(time.perf_counter() - started)
            stored = time.perf_counter() - begun
            check = dataset.dataset_check_start(character=character, user=owner)
            _wait(
                lambda: DatasetCheck.objects.filter(pk=check.pk, status=DatasetCheck.Status.DONE).exists(),
                300,
                "the dataset check",
            )
            elapsed = time.perf_counter() - begun
            parent_cpu = time.process_time() - parent_cpu
            worker_cpu = _cpu_seconds(worker) - worker_cpu
    finally:
        app.conf.task_always_eager = True
        worker.stop()

    check.refresh_from_db()
    images = list(DatasetImage.objects.filter(character=character).select_related("asset"))
    found = Counter(issue["code"] for image in images for issue in image.issues)
    verdict = (check.images, check.ok, check.warnings, check.blocking)
    assert check.images == PHOTOS, verdict
    assert check.blocking == 0, verdict
    assert all(image.face_count == 1 for image in images)
    worker_ms = [image.analysis_ms for image in images if image.analysis_ms is not None]
    return [
        (f"{PHOTOS} × 12 MP: store + analyse + check, wall time", f"{elapsed:.1f} s", "≤ 20 s"),
        (f"  of which storing them as assets ({PHOTOS} × asset_create_from_file)", f"{stored:.1f} s", ""),
        ("  storing one photo (asset + DatasetImage), median", f"{statistics.median(creating) * 1000:.0f} ms", ""),
        ("  last photo stored → check verdict", f"{elapsed - stored:.1f} s", ""),
        (
            "  CPU time used: this process (storing) / the worker's children (analysing, check)",
            f"{parent_cpu:.1f} s / {worker_cpu:.1f} s",
            "",
        ),
        (
            "  so on an idle 2-core machine, at least",
            f"{max(parent_cpu, (parent_cpu + worker_cpu) / 2):.1f} s",
            "≤ 20 s",
        ),
        ("  the check task itself (duration_ms)", f"{check.duration_ms / 1000:.2f} s", ""),
        ("  analysis per photo in the worker, median", f"{statistics.median(worker_ms):.0f} ms", ""),
        (
            "  verdict: ok / warnings / blocking (issues found)",
            f"{check.ok} / {check.warnings} / {check.blocking} ({', '.join(sorted(found)) or 'none'})",
            "",
        ),
        ("  worker warm-up (start + first analyses, not timed)", f"{warm:.1f} s", ""),
    ], [media_root / image.asset.variants["preview"] for image in images]


def _warm_up(org, files: list[Path], worker: _Worker) -> float:
    from assets.services import asset_create_from_file
    from characters import dataset
    from characters.models import Character, DatasetImage

    begun = time.perf_counter()
    spare = Character.objects.create(org=org, name="Warm-up", origin=Character.Origin.PHOTOS)
    warm = []
    for i in range(WORKER_CHILDREN * 2):
        asset = asset_create_from_file(org=org, path=files[i], filename=f"warm-{i}.jpg")
        warm.append(DatasetImage.objects.create(org=org, character=spare, asset=asset, bucket="closeup"))
    for image in warm:
        dataset.analysis_enqueue(image)
    _wait(
        lambda: not DatasetImage.objects.filter(character=spare, analysis=DatasetImage.Analysis.PENDING).exists(),
        120,
        "the worker's warm-up",
    )
    return time.perf_counter() - begun


# --- 2. Where one analysis spends its time -------------------------------------------------------


def _split(files: list[Path], previews: list[Path]) -> list[Row]:
    """One analysis at a time in this process: as the worker does it (from the 1024 px preview),
    and from the 12 MP original (JPEG draft at ¼), for the decode / detect / embed split."""
    from characters import identity

    identity.analyse(files[0])  # models loaded before timing

    def medians(paths: list[Path]) -> dict[str, float]:
        timings: dict[str, list[float]] = {"decode": [], "detect": [], "embed": [], "total": []}
        for path in paths:
            started = time.perf_counter()
            result = identity.photo_analyse(path)
            timings["total"].append((time.perf_counter() - started) * 1000)
            timings["decode"].append(result.timings["decode"])
            timings["detect"].append(result.timings["detect"])
            timings["embed"].append(result.timings["embed"] / max(1, len(result.faces)))
        return {phase: statistics.median(values) for phase, values in timings.items()}

    preview, original = medians(previews), medians(files)
    return [
        ("one analysis, 1 core, median: decode the 1024 px preview", f"{preview['decode']:.0f} ms", ""),
        ("  (decoding the 12 MP original instead, JPEG draft ¼)", f"{original['decode']:.0f} ms", ""),
        ("  detect (HOG, upsample 0, 1024 × 768)", f"{preview['detect']:.0f} ms", ""),
        ("  face embedding per face (5 landmarks + ResNet 128-d)", f"{preview['embed']:.0f} ms", ""),
        ("  whole analysis from the preview", f"{preview['total']:.0f} ms", ""),
        ("machine: load average (1 min), CPUs", f"{os.getloadavg()[0]:.1f}, {os.cpu_count()}", ""),
    ]


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
