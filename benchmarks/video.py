"""Video figures:

1. **Engine overhead per animation step** at zero provider latency, on one real Celery worker
   (solo pool, in this process) on the real Redis: animations of a 3 s reference video run on the
   demo provider through every step (prepare → face swap → refinement → animation). For each step,
   the time from its job's row to its settled hold (both timestamps the job records), minus the
   time the demo provider spent rendering (its ``_work``, timed in the worker): what our queueing,
   state machine, ledger and storing of the output cost per step. The prepare step has no provider:
   its own work (cut, frame, face count) is shown with it.
2. **Poster + hover strip for a 60 s 1080p video**: ``media.process_video`` (probe, poster, thumb,
   ten-frame strip), on ffmpeg's test pattern encoded with a keyframe every 2 s (a camera's) and
   with x264's default of one every 10 s.
3. **Face swap vs PuLID on the face fixtures**, on the demo path: the character is person A (its
   reference the mean of A's four photos); the targets are the frames a reference video would
   give. For each, the identity score (0–100, ``characters.identity``) of the demo face swap (A's
   face pasted onto the target) and of the demo PuLID (A's photo re-cropped), and how much of the
   target frame each keeps (1 − the mean pixel difference outside the face, 0–1). The demo's
   numbers say what the demo does, not what the real models do; docs/video.md has the reasoning.

Its own throwaway database (``bench_personae_video``), MEDIA_ROOT, cache prefix and Celery queue.
Run with ``python -m benchmarks`` (all figures) or ``python -m benchmarks.video``;
``BENCH_VIDEO_PIPELINES`` sets how many animations run (default 8).
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from unittest import mock

PIPELINES = int(os.environ.get("BENCH_VIDEO_PIPELINES", "8"))
DATABASE = "bench_personae_video"
VIDEO_RUNS = 3

Row = tuple[str, str, str]  # measure, result, note


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    rows = _strip_rows() + _face_swap_rows()
    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    cache_settings = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"bench-video-{uuid.uuid4().hex[:8]}"}}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="personae-bench-video-") as tmp,
            override_settings(
                MEDIA_ROOT=str(Path(tmp) / "media"),
                CACHES=cache_settings,
                FAL_KEY="",
                XAI_API_KEY="",
                DEMO_PROVIDER_LATENCY=0,
                DEMO_PROVIDER_FAILURE_RATE=0,
            ),
        ):
            rows = _pipeline_rows() + rows
    finally:
        from benchmarks.engine import _disconnect_others

        _disconnect_others(connection)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous_test_name
    return rows


def print_table(rows: list[Row]) -> None:
    print("\nVideo (animation steps on 1 real worker at 0 s provider latency; media; face swap on the demo path):\n")
    width = max(len(measure) for measure, _result, _note in rows) + 2
    result_width = max(len(result) for _measure, result, _note in rows) + 2
    print(f"{'measure':<{width}}{'result':>{result_width}}  note")
    for measure, result, note in rows:
        print(f"{measure:<{width}}{result:>{result_width}}  {note}")


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"{statistics.median(values):.0f} / {p95:.0f} ms"


# --- 1. Engine overhead per step -----------------------------------------------------------------------


@contextlib.contextmanager
def _one_worker(queue: str):
    """One real worker (solo pool) in a thread, taking every task the animation sends from a private
    queue (deleted afterwards), with eager mode off."""
    from celery.contrib.testing.worker import start_worker

    from benchmarks.engine import _delete_queue
    from config.celery import app
    from providers import tasks as provider_tasks
    from video import tasks as video_tasks

    patches = []
    for module, name in ((provider_tasks, "demo_run"), (video_tasks, "animate_prepare"), (video_tasks, "step_score")):
        real = getattr(module, name)
        patched = mock.patch.object(module, name)
        routed = patched.start()
        routed.apply_async.side_effect = lambda *a, _real=real, **k: _real.apply_async(*a, **{**k, "queue": queue})
        routed.delay.side_effect = lambda *a, _real=real, **k: _real.apply_async(args=a, kwargs=k, queue=queue)
        patches.append(patched)
    celery_log = logging.getLogger("celery")
    level = celery_log.level
    celery_log.setLevel(logging.WARNING)
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch("providers.gateway.queue_for", return_value=queue),
            start_worker(app, queues=[queue], pool="solo", perform_ping_check=False, shutdown_timeout=60),
        ):
            yield
    finally:
        for patched in patches:
            patched.stop()
        app.conf.task_always_eager = True
        celery_log.setLevel(level)
        _delete_queue(app, queue)


def _pipeline_rows() -> list[Row]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from assets.services import asset_create_from_bytes
    from billing.models import Plan
    from billing.services import credits_grant, org_create_on_default_plan
    from characters.models import Character
    from characters.tests import photos
    from core.jobs import ACTIVE
    from providers.adapters import demo
    from providers.models import ProviderCall
    from video import animate, frames
    from video.animate import AnimateRequest
    from video.models import AnimateStep
    from video.tests import clips

    owner = User.objects.create(email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z")
    org = org_create_on_default_plan(user=owner, name="Bench Video")
    org.plan = Plan.objects.get(slug="agency")
    org.save(update_fields=["plan"])
    credits_grant(org=org, amount=1_000_000, key="bench-video", description="Benchmark")
    face = asset_create_from_bytes(org=org, data=photos.photo("person-a-1"), filename="ava.jpg")
    character = Character.objects.create(org=org, name="Ava", origin="wizard", age=30, base_image=face, avatar=face)
    reference = asset_create_from_bytes(org=org, data=clips.still_clip("person-b-1"), filename="reference.mp4")

    rendering: dict[str, float] = {}  # the demo provider's own work, by request id
    preparing: dict[int, float] = {}  # the prepare step's cut and face count, by step id
    real_work, real_prepared = demo._work, frames.prepared
    lock = threading.Lock()

    def timed_work(endpoint_id, request_id, arguments):
        begun = time.perf_counter()
        try:
            return real_work(endpoint_id, request_id, arguments)
        finally:
            with lock:
                rendering[request_id] = time.perf_counter() - begun

    @contextlib.contextmanager
    def timed_prepared(key, *, start, seconds):
        begun = time.perf_counter()
        with real_prepared(key, start=start, seconds=seconds) as prepared:
            yield prepared
        with lock:
            preparing[len(preparing)] = time.perf_counter() - begun

    def settle(pipeline, kinds: int) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            steps = AnimateStep.objects.filter(pipeline=pipeline)
            if steps.count() >= kinds and not steps.filter(status__in=ACTIVE).exists():
                return
            time.sleep(0.05)
        raise RuntimeError("an animation didn't settle in 5 minutes")

    pipelines = []
    with (
        mock.patch.object(demo, "_work", timed_work),
        mock.patch.object(frames, "prepared", timed_prepared),
        _one_worker(f"bench-video-{uuid.uuid4().hex[:12]}"),
    ):
        for _ in range(PIPELINES + 1):  # the first warms up: imports, dlib's models, codecs
            pipeline = animate.pipeline_start(
                org=org, user=owner, video=reference, request=AnimateRequest(character=character, seconds=2)
            )
            settle(pipeline, 3)
            animate.step_start(pipeline=pipeline, kind="animate", user=owner)
            settle(pipeline, 4)
            pipelines.append(pipeline)

    overhead: dict[str, list[float]] = {kind: [] for kind in AnimateStep.ORDER}
    provider: dict[str, list[float]] = {kind: [] for kind in AnimateStep.ORDER}
    prepare_work = [seconds * 1000 for seconds in list(preparing.values())]
    for index, pipeline in enumerate(pipelines):
        if index == 0:
            continue  # the warm-up
        for step in AnimateStep.objects.filter(pipeline=pipeline):
            assert step.status == "succeeded", step.error
            total = (step.finished_at - step.created_at).total_seconds()
            requests = ProviderCall.objects.filter(
                subject_type__model="animatestep", subject_id=str(step.pk)
            ).values_list("request_id", flat=True)
            work = sum(rendering.get(r, 0.0) for r in requests)
            if step.kind == "prepare":  # its own work, here rather than at a provider
                work = prepare_work[index] / 1000
            overhead[step.kind].append((total - work) * 1000)
            provider[step.kind].append(work * 1000)
    rows: list[Row] = []
    labels = {
        "prepare": "prepare: cut, frame 1, face check",
        "swap": "face swap",
        "refine": "refinement",
        "animate": "animation (2 s clip)",
    }
    for kind in AnimateStep.ORDER:
        if kind == "prepare":
            note = f"not counted: the cut and the face check themselves, {_ms(provider[kind])}"
        else:
            note = f"not counted: the demo's render, {_ms(provider[kind])}"
        if kind == "animate":
            note += "; counted: storing the clip (probe, poster, strip)"
        rows.append((f"engine overhead per step: {labels[kind]}, median / p95", _ms(overhead[kind]), note))
    rows.append(
        ("animations run (after one warm-up)", str(len(pipelines) - 1), "each step on the worker, one at a time")
    )
    return rows


# --- 2. Poster and hover strip for a 60 s 1080p video ----------------------------------------------------


def _strip_rows() -> list[Row]:
    import subprocess

    import imageio_ffmpeg

    from assets import media

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="personae-bench-strip-") as tmp:
        for gop, label in ((50, "keyframe every 2 s"), (250, "keyframe every 10 s")):
            path = Path(tmp) / f"long-{gop}.mp4"
            subprocess.run(  # noqa: S603 - the bundled ffmpeg, our own arguments
                [
                    imageio_ffmpeg.get_ffmpeg_exe(),
                    *("-hide_banner", "-loglevel", "error", "-y"),
                    *("-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25:duration=60"),
                    *("-f", "lavfi", "-i", "sine=frequency=440:duration=60"),
                    *("-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-pix_fmt", "yuv420p"),
                    *("-c:a", "aac", "-shortest", str(path)),
                ],
                check=True,
                timeout=600,
            )
            sniffed = media.sniff(path)
            media.process_video(path, sniffed)  # warm-up
            timings, strips = [], []
            for _ in range(VIDEO_RUNS):
                begun = time.perf_counter()
                result = media.process_video(path, sniffed)
                timings.append((time.perf_counter() - begun) * 1000)
                assert result.scrub is not None
                begun = time.perf_counter()
                media.video._scrub_strip(path, sniffed.mime, 0, result.duration, result.width, result.height)
                strips.append((time.perf_counter() - begun) * 1000)
            size_mb = path.stat().st_size / 1e6
            rows.append(
                (
                    f"60 s 1080p ({label}, {size_mb:.0f} MB): probe + poster + thumb + strip",
                    f"{statistics.median(timings):.0f} ms",
                    f"of which the 10-frame strip {statistics.median(strips):.0f} ms; median of {VIDEO_RUNS}",
                )
            )
    return rows


# --- 3. Face swap vs PuLID on the fixtures (demo path) ---------------------------------------------------------


def _face_swap_rows() -> list[Row]:
    import numpy as np
    from PIL import Image, ImageOps

    from characters import identity
    from characters.tests import photos
    from providers.adapters import demo, demo_video

    reference = identity.mean(identity.analyse(photos.fixture(f"person-a-{n}"))[0].embedding for n in range(1, 5))
    face_image = photos.fixture("person-a-1")
    face_box = demo._face_box(face_image)

    def score(image: Image.Image) -> int | None:
        faces = identity.analyse(image)
        return identity.score(identity.distance(faces[0].embedding, reference)) if faces else None

    def kept(result: Image.Image, target: Image.Image, box) -> float:
        """1 − the mean absolute difference outside the target's face box, 0–1."""
        a = np.asarray(result.resize(target.size).convert("L"), dtype=float)
        b = np.asarray(target.convert("L"), dtype=float)
        mask = np.ones_like(a, dtype=bool)
        left, top, right, bottom = (round(v) for v in demo_video._grow(box, target.size, 1.35))
        mask[top:bottom, left:right] = False
        return 1 - float(np.abs(a - b)[mask].mean()) / 255

    swap_scores, swap_kept, pulid_scores, pulid_kept, before = [], [], [], [], []
    for name in ("person-b-1", "person-b-2", "person-a-2", "person-a-3", "person-a-4"):
        target = photos.fixture(name)
        box = demo._face_box(target)
        swapped = demo_video.paste_face(face_image, face_box, target, box)
        # The demo PuLID returns the reference recropped to the size asked: the target's, here.
        pulid = ImageOps.fit(face_image, target.size, Image.Resampling.LANCZOS, centering=(0.5, 0.3))
        before.append(score(target))
        swap_scores.append(score(swapped))
        swap_kept.append(kept(swapped, target, box))
        pulid_scores.append(score(pulid))
        pulid_kept.append(kept(pulid, target, box))

    def scores(values) -> str:
        return " ".join("–" if v is None else str(v) for v in values)

    targets = "targets B1 B2 A2 A3 A4"
    return [
        ("likeness to A of the targets themselves", scores(before), targets),
        ("face swap (demo: A's face pasted): likeness to A", scores(swap_scores), targets),
        ("face swap (demo): frame kept outside the face, mean", f"{statistics.mean(swap_kept):.2f}", "1 = untouched"),
        ("PuLID (demo: A's photo re-cropped): likeness to A", scores(pulid_scores), targets),
        (
            "PuLID (demo): frame kept outside the face, mean",
            f"{statistics.mean(pulid_kept):.2f}",
            "the pose and scene are lost",
        ),
    ]


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
