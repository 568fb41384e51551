"""Identity figures for `make bench` (issue #25):

1. **Scoring throughput**: faces scored per second on 2 cores — two processes, each running the
   identity worker's work on library previews (1024 px JPEG decode, dlib HOG detection, 5-point
   landmarks, ResNet embedding, distance to the reference) over the real face fixtures.
2. **Keepers overhead per batch**: a "generate until 3 keepers" run on the demo provider with a
   face pool of person A and person B (``DEMO_FACE_POOL``), eager Celery; the time the run's own
   bookkeeping takes (``keepers_advance``: locking, counting, sizing and starting the next batch),
   apart from making and scoring the images, per batch.
"""

from __future__ import annotations

import io
import multiprocessing
import tempfile
import time
import uuid
from pathlib import Path

Row = tuple[str, str, str]  # measure, result, note

DATABASE = "test_personae_bench_identity"
PER_PROCESS = 24  # previews each of the two processes scores
PROCESSES = 2


def _previews() -> list[bytes]:
    from PIL import Image

    from characters.tests import photos

    out = []
    for name in ("person-a-1", "person-a-2", "person-a-3", "person-a-4", "person-b-1", "person-b-2"):
        image = photos.fixture(name)
        image.thumbnail((1024, 1024), Image.Resampling.LANCZOS)
        out.append(photos.jpeg(image))
    return out


def _score_many(args: tuple[list[bytes], list[float], int]) -> tuple[int, float]:
    from characters import identity
    from identity import scoring

    previews, reference, count = args
    identity.analyse(io.BytesIO(previews[0]))  # models loaded before the clock starts
    started = time.perf_counter()
    scored = 0
    for n in range(count):
        measured = scoring.image_measure(io.BytesIO(previews[n % len(previews)]), reference)
        scored += measured.score is not None
    return scored, time.perf_counter() - started


def _throughput_rows() -> list[Row]:
    from characters import identity

    previews = _previews()
    reference = identity.analyse(io.BytesIO(previews[0]))[0].embedding
    context = multiprocessing.get_context("fork")
    wall = time.perf_counter()
    with context.Pool(PROCESSES) as pool:
        results = pool.map(_score_many, [(previews, reference, PER_PROCESS)] * PROCESSES)
    wall = time.perf_counter() - wall
    scored = sum(r[0] for r in results)
    busiest = max(r[1] for r in results)
    return [
        (
            f"faces scored per second ({PROCESSES} processes, {scored} previews)",
            f"{scored / busiest:.1f}",
            "1024 px previews: decode, detect, embed",
        ),
        ("  per face, one core", f"{1000 * busiest / PER_PROCESS:.0f} ms", ""),
        ("  wall time incl. model loading", f"{wall:.1f} s", ""),
    ]


def _keepers_rows() -> list[Row]:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.test.utils import override_settings

    from accounts.models import User
    from assets.services import asset_create_from_bytes
    from billing.models import Plan
    from billing.services import credits_grant, org_create_on_default_plan
    from characters import identity
    from characters.models import Character
    from characters.tests import photos
    from characters.tests.photos import FACES_DIR
    from generation.models import GenerationJob
    from generation.packs import PackRecipe
    from identity import keepers

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    cache = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"bench-identity-{uuid.uuid4().hex[:8]}"}}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="personae-bench-identity-") as tmp,
            override_settings(
                MEDIA_ROOT=str(Path(tmp) / "media"),
                CACHES=cache,
                FAL_KEY="",
                XAI_API_KEY="",
                DEMO_PROVIDER_LATENCY=0,
                DEMO_PROVIDER_FAILURE_RATE=0,
                CELERY_TASK_ALWAYS_EAGER=True,
                DEMO_FACE_POOL=[str(FACES_DIR / "person-a-2.jpg"), str(FACES_DIR / "person-b-1.jpg")],
            ),
        ):
            owner = User.objects.create(
                email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z"
            )
            org = org_create_on_default_plan(user=owner, name="Bench Keepers")
            org.plan = Plan.objects.get(slug="agency")
            org.save(update_fields=["plan"])
            credits_grant(org=org, amount=10_000, key="bench-keepers", description="Benchmark")
            face = photos.photo("person-a-1")
            base = asset_create_from_bytes(org=org, data=face, filename="face.jpg")
            character = Character.objects.create(
                org=org, name="Bench", origin="wizard", gender="female", age=28, base_image=base, avatar=base
            )
            identity.reference_set(character, [identity.analyse(io.BytesIO(face))[0].embedding], source="base")
            spent_in_advance: list[float] = []
            real = keepers.keepers_advance

            def timed(*, keepers_id: int) -> None:
                started = time.perf_counter()
                try:
                    real(keepers_id=keepers_id)
                finally:
                    spent_in_advance.append(time.perf_counter() - started)

            keepers.keepers_advance = timed  # type: ignore[assignment]
            try:
                wall = time.perf_counter()
                run = keepers.keepers_start(
                    character=character,
                    user=owner,
                    ask=keepers.KeepersAsk(wanted=3, threshold=50, budget=200, recipe=PackRecipe()),
                )
                wall = time.perf_counter() - wall
            finally:
                keepers.keepers_advance = real  # type: ignore[assignment]
            run.refresh_from_db()
            batches = GenerationJob.objects.filter(keepers_batch__run=run).count()
            images = len(keepers.run_images(run))
    finally:
        from benchmarks.engine import _disconnect_others

        _disconnect_others(connection)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous
    # keepers_advance calls nest (a batch's last score moves the run inside the call that started
    # the batch), so the bookkeeping is measured on the calls that ended without nesting: the
    # innermost ones, one per look at the run.
    looks = len(spent_in_advance)
    bookkeeping = sorted(spent_in_advance)[: max(1, looks - batches)]
    per_look = sum(bookkeeping) / len(bookkeeping)
    return [
        (
            f"keepers run: {run.kept} of 3 keepers, {images} images in {batches} batches",
            f"{wall:.1f} s",
            f"{run.status}; {run.spent} credits, {run.spent_per_keeper} per keeper",
        ),
        ("  run bookkeeping per look (lock, count, decide)", f"{1000 * per_look:.1f} ms", f"{looks} looks"),
        (
            "  overhead per batch (looks per batch × bookkeeping)",
            f"{1000 * per_look * looks / max(batches, 1):.1f} ms",
            "vs ~0.3 s of scoring per image",
        ),
    ]


def run() -> list[Row]:
    return _throughput_rows() + _keepers_rows()


def print_table(rows: list[Row]) -> None:
    print("\nIdentity: likeness scoring throughput and keepers overhead:\n")
    width = max(len(r[0]) for r in rows) + 2
    result_width = max(len(r[1]) for r in rows) + 2
    for measure, result, note in rows:
        print(f"{measure:<{width}}{result:>{result_width}}  {note}")
