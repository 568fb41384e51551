"""Run by ``benchmarks.providers`` through pytest (for the live server, the in-process worker and
the TLS emulator's fixtures); not part of the test suite, and it asserts nothing about time.

One pack of five images, from ``pack_start`` to the job settled, as a person waits for it: over
the TLS emulator (the real fal_client over TLS, every input fetched from the live server, results
by signed webhook, outputs downloaded and stored) and on the offline demo provider at zero latency.
Prints one line per provider: ``BENCH <provider> <median s> <min s> <max s>``.
"""

from __future__ import annotations

import os
import statistics
import time

import pytest

from generation import packs
from generation.models import GenerationJob
from generation.packs import PackRecipe
from generation.tests.conftest import face_photo, hd_character, swap_character
from tests.test_contracts_live import providers, settled, worker

BORROWED_FIXTURES = (face_photo, hd_character, swap_character, providers, worker)
RUNS = int(os.environ.get("BENCH_PACK_RUNS", "3"))


def _pack_seconds(character, user) -> float:
    started = time.perf_counter()
    job = packs.pack_start(character=character, user=user, recipe=PackRecipe(count=5))
    job = settled(GenerationJob, job.pk, timeout=120)
    elapsed = time.perf_counter() - started
    assert job.status == "succeeded", job.error
    return elapsed


def _report(provider: str, timings: list[float]) -> None:
    print(f"BENCH {provider} {statistics.median(timings):.3f} {min(timings):.3f} {max(timings):.3f}")


@pytest.mark.django_db(transaction=True)
def test_one_pack_of_five_over_tls_and_on_the_demo(providers, settings, hd_character, people, fund):
    fund(10_000)
    _pack_seconds(hd_character, people.member)  # warm up: connections, caches, imports
    _report("tls-emulator", [_pack_seconds(hd_character, people.member) for _ in range(RUNS)])

    settings.FAL_KEY = ""
    settings.XAI_API_KEY = ""
    settings.REPLICATE_API_TOKEN = ""
    settings.DEMO_PROVIDER_LATENCY = 0
    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    _pack_seconds(hd_character, people.member)
    _report("demo", [_pack_seconds(hd_character, people.member) for _ in range(RUNS)])
