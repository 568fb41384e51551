"""Projects figures:

1. **Breakdown of a 120-page script on the demo provider**: reading the uploaded Fountain file
   (text, hash, scene passages for retrieval), then the whole breakdown job — every chunk through
   the job engine, the gateway and the demo's local reading of the structure, merged — with Celery
   eager, so the time is our code's end to end.
2. **Assistant time to first token** with the provider emulated at zero latency (xAI behind the
   real httpx client, ``tests.xai_emulator``, streaming), and on the demo provider: the ask
   (screen, retrieval over the script, credit hold) plus the worker's start to the first piece of
   the answer in the database, where the page's event stream reads it (it looks every
   ``projects.views.chat.POLL_SECONDS``, which adds at most that much).

Its own throwaway database (``bench_personae_projects``) and MEDIA_ROOT. Run with
``python -m benchmarks`` (all figures) or ``python -m benchmarks.projects``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

DATABASE = "bench_personae_projects"
ASKS = int(os.environ.get("BENCH_PROJECT_ASKS", "20"))


def run() -> list[tuple[str, float, str]]:
    from django.db import connection
    from django.test.utils import override_settings

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="personae-bench-projects-") as tmp,
            override_settings(
                MEDIA_ROOT=str(Path(tmp) / "media"),
                XAI_API_KEY="",
                FAL_KEY="",
                DEMO_PROVIDER_LATENCY=0,
                DEMO_PROVIDER_FAILURE_RATE=0,
            ),
        ):
            rows = _breakdown()
            rows += _first_token()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous_test_name
    return rows


def _org():
    from accounts.models import User
    from billing.services import credits_grant, org_create_on_default_plan

    owner = User.objects.create(email=f"bench-projects-{time.time_ns()}@example.com")
    org = org_create_on_default_plan(user=owner, name="Bench Projects")
    credits_grant(org=org, amount=100_000, key=f"bench-projects:{org.pk}", description="Bench")
    return owner, org


def _breakdown() -> list[tuple[str, float, str]]:
    from projects import breakdowns, services
    from projects.tests import screenplays

    owner, org = _org()
    project = services.project_create(org=org, user=owner, name="Bench")
    data = screenplays.long_fountain(120).encode()
    started = time.perf_counter()
    script = services.script_upload(project=project, user=owner, filename="bench.fountain", data=data)
    read_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    job = breakdowns.breakdown_start(script=script, user=owner)
    job.refresh_from_db()
    total_ms = (time.perf_counter() - started) * 1000
    assert job.status == "succeeded", job.error
    scenes = len(job.result["scenes"])
    return [
        ("120-page script: read and index (upload)", read_ms, "ms"),
        (f"120-page script: breakdown, {len(job.chunks)} chunks, {scenes} scenes (demo)", total_ms, "ms"),
        ("120-page script: credits charged", float(job.credits), "credits"),
    ]


def _first_token() -> list[tuple[str, float, str]]:
    from projects import chat, services
    from projects.tests import screenplays

    real_answer, real_store = chat.chat_answer, chat._store

    owner, org = _org()
    project = services.project_create(org=org, user=owner, name="Bench chat")
    services.script_upload(
        project=project, user=owner, filename="bench.fountain", data=screenplays.long_fountain(120).encode()
    )
    rows = []
    for label, emulated in (("xAI emulated, 0 latency", True), ("demo provider", False)):
        asks, firsts = [], []
        for _ in range(ASKS):
            marks: dict[str, float] = {}

            def answer(message_id, marks=marks):
                marks["worker"] = time.perf_counter()
                real_answer(message_id)

            def store(message_id, written, marks=marks):
                marks.setdefault("first", time.perf_counter())
                real_store(message_id, written)

            with (
                override_xai(emulated) as emulator,
                mock.patch("projects.tasks.chat.chat_answer", side_effect=answer),
                mock.patch("projects.chat._store", side_effect=store),
            ):
                if emulator is not None:
                    emulator.reply("Ada checks the lantern in scene 1 [1]; the storm comes later [2]. " * 4)
                t0 = time.perf_counter()
                chat.chat_ask(project=project, user=owner, question="Who checks the lantern by the window?")
            asks.append((marks["worker"] - t0) * 1000)
            firsts.append((marks["first"] - marks["worker"]) * 1000)
        rows += [
            (f"assistant, {label}: ask (screen, retrieval, hold), median", statistics.median(asks), "ms"),
            (f"assistant, {label}: worker start → first token stored, median", statistics.median(firsts), "ms"),
            (
                f"assistant, {label}: time to first token (sum), median",
                statistics.median(a + f for a, f in zip(asks, firsts, strict=True)),
                "ms",
            ),
        ]
    return rows


class override_xai:
    def __init__(self, emulated: bool):
        self.emulated = emulated

    def __enter__(self):
        if not self.emulated:
            self.emulator = None
            return None
        from django.conf import settings
        from django.test.utils import override_settings

        from tests.xai_emulator import XaiEmulator

        self.settings = override_settings(XAI_API_KEY="xai-bench-key")
        self.settings.enable()
        self.emulator = XaiEmulator(settings.XAI_BASE_URL).__enter__()
        return self.emulator

    def __exit__(self, *exc):
        if self.emulator is not None:
            self.emulator.__exit__(*exc)
            self.settings.disable()


def print_table(rows: list[tuple[str, float, str]]) -> None:
    print("\nProjects (script breakdown, assistant):\n")
    width = max(len(label) for label, _value, _unit in rows) + 2
    for label, value, unit in rows:
        print(f"{label:<{width}}{value:>9.1f} {unit}")


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
