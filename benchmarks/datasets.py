"""Dataset builder figures: 32 body photos through the whole pipeline on the demo provider at
0 s latency, in this process (Celery eager, as ``make bench`` runs), on this machine's cores.

3 face photos of person A and 32 generated body photos (person B's head on a drawn body: close-up,
half-body and full-body shots) are uploaded through the real services (library processing plus
the face check of each), then one run does face swap → 1024² crop → enhance (2×, back to 1024)
→ caption for each. Reported: the wall time of the upload + check phase and of the run, images/s,
and per step the median / p95 of each unit's own time (its start to its finish, the demo
provider's work included) and the sum over the 32.

Its own throwaway database (``bench_personae_datasets``) and MEDIA_ROOT. Run with
``python -m benchmarks`` (all figures) or ``python -m benchmarks.datasets``; ``BENCH_DATASET_IMAGES``
sets how many body photos (default 32).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

IMAGES = int(os.environ.get("BENCH_DATASET_IMAGES", "32"))
DATABASE = "bench_personae_datasets"

Row = tuple[str, str, str]  # measure, result, note


def run() -> list[Row]:
    from django.db import connection
    from django.test.utils import override_settings

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-datasets-") as tmp,
            override_settings(
                MEDIA_ROOT=str(Path(tmp) / "media"),
                FAL_KEY="",
                XAI_API_KEY="",
                DEMO_PROVIDER_LATENCY=0,
                DEMO_PROVIDER_FAILURE_RATE=0,
                CELERY_TASK_ALWAYS_EAGER=True,
            ),
        ):
            from config.celery import app

            app.conf.task_always_eager = True
            rows = _pipeline(Path(tmp))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous
    return rows


def _pipeline(tmp: Path) -> list[Row]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from billing.models import Plan
    from billing.services import credits_grant, org_create_on_default_plan
    from datasets import bodies, rules, services
    from datasets.models import BuildUnit

    owner = User.objects.create(email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z")
    org = org_create_on_default_plan(user=owner, name="Bench Datasets")
    org.plan = Plan.objects.filter(max_characters__isnull=True).first() or org.plan
    org.save(update_fields=["plan"])
    credits_grant(org=org, amount=IMAGES * 20, key="bench-datasets", description="Bench")
    build = services.build_create(org=org, user=owner, name="Bench Jade", gender="male")

    def add(fn, data: bytes, name: str) -> None:
        path = tmp / name
        path.write_bytes(data)
        fn(build=build, user=owner, path=path, filename=name)

    started = time.perf_counter()
    for index in range(3):
        add(services.source_add, bodies.source_photo(index), f"face-{index}.jpg")
    for index in range(IMAGES):
        add(services.target_add, bodies.body_photo(index), f"body-{index}.jpg")
    uploaded = time.perf_counter() - started
    plan = services.plan(build)
    assert plan.ready, plan.problems

    started = time.perf_counter()
    run = services.run_start(build=build, user=owner)
    wall = time.perf_counter() - started
    run.refresh_from_db()
    units = list(BuildUnit.objects.filter(run=run))
    done = sum(1 for u in units if u.status == "succeeded")
    scores = [t.identity for t in build.targets.all() if t.identity is not None]
    rows: list[Row] = [
        (
            "upload + face check",
            f"{uploaded:.1f} s",
            f"3 face + {IMAGES} body photos: library processing and dlib, one by one",
        ),
        (
            "pipeline wall time",
            f"{wall:.1f} s",
            f"{IMAGES} photos × 4 steps, run {run.status}, {done}/{len(units)} units done",
        ),
        ("images/s", f"{IMAGES / wall:.2f}", f"on {os.cpu_count()} cores, Celery eager (one process)"),
        ("credits", f"{run.credits}", f"{rules.steps_credits(rules.STEPS)} a photo"),
        (
            "identity (demo)",
            f"{statistics.median(scores) if scores else 0:.0f}",
            "median likeness 0–100 of the results to the face photos",
        ),
    ]
    for step in rules.STEPS:
        times = sorted(
            (u.finished_at - u.started_at).total_seconds() * 1000
            for u in units
            if u.step == step and u.started_at and u.finished_at
        )
        if not times:
            continue
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        rows.append(
            (
                f"  {rules.STEP_LABELS[step]}",
                f"{statistics.median(times):.0f} / {p95:.0f} ms",
                f"median / p95 per photo; {sum(times) / 1000:.1f} s over {len(times)}",
            )
        )
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"\nDataset builder ({IMAGES} body photos through the whole pipeline on the demo provider at 0 s latency):\n")
    width = max(len(m) for m, _r, _n in rows) + 2
    result_width = max(len(r) for _m, r, _n in rows) + 2
    print(f"{'measure':<{width}}{'result':>{result_width}}  note")
    for measure, result, note in rows:
        print(f"{measure:<{width}}{result:>{result_width}}  {note}")


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
