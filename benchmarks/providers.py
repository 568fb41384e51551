"""Provider figures: one pack of five images end to end over the TLS emulator of fal (the real
fal_client over real TLS, inputs fetched from a live server, results by signed webhook) against the
offline demo provider at zero latency, on one in-process Celery worker.

The figure is what our side adds around the provider's GPU time: the emulator answers at once,
so over the emulator the time is submit + input fetches + webhook + output download + storage +
scoring, five times. It runs ``benchmarks/live_pack.py`` under pytest (which brings the live
server, the worker and the emulator fixtures) on the test database. ``BENCH_PACK_RUNS`` sets the
runs per provider (default 3, after one warm-up).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run() -> list[tuple[str, float, float, float]]:
    cmd = [sys.executable, "-m", "pytest", "benchmarks/live_pack.py", "-q", "-s", "-p", "no:cacheprovider"]
    cmd += ["-o", "python_files=live_pack.py", "-W", "ignore"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)  # noqa: S603 (our own fixed command)
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            _, provider, median, low, high = line.split()
            rows.append((provider, float(median), float(low), float(high)))
    if done.returncode != 0 or len(rows) != 2:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit("the provider benchmark failed")
    return rows


def print_table(rows: list[tuple[str, float, float, float]]) -> None:
    print("\nOne pack of 5 images, pack_start → job settled (s)")
    print(f"{'provider':<28}{'median':>10}{'min':>10}{'max':>10}")
    for provider, median, low, high in rows:
        label = "fal over the TLS emulator" if provider == "tls-emulator" else "demo provider, no latency"
        print(f"{label:<28}{median:>10.2f}{low:>10.2f}{high:>10.2f}")


if __name__ == "__main__":
    print_table(run())
