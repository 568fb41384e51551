"""Stripe webhook figures. Every event of a top-up payment from the local test-mode Stripe, posted
signed to the real dj-stripe endpoint (delivery recorded, signature checked, queued for the worker),
against a minimal view that only verifies the signature and inserts one row, on the same signed
bodies: the target is a ratio of at least 0.5 (events/s through dj-stripe ÷ events/s through the
minimal view). Then the worker's processing per event (dj-stripe re-reading the objects from the
local Stripe API and syncing them, our receivers granting the credits) and webhook-to-grant with a
real Celery worker: from posting a payment's events to its credits in the ledger.

It runs ``benchmarks/stripe_bench.py`` under pytest (the test database and the local Stripe).
``BENCH_STRIPE_PAYMENTS`` sets how many top-ups are paid (default 60, each a few events).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run() -> dict[str, tuple[int, float, float, float]]:
    cmd = [sys.executable, "-m", "pytest", "benchmarks/stripe_bench.py", "-q", "-s", "-p", "no:cacheprovider"]
    cmd += ["-o", "python_files=stripe_bench.py", "-W", "ignore"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)  # noqa: S603 (our own fixed command)
    rows = {}
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            _, name, events, seconds, median, p95 = line.split()
            rows[name] = (int(events), float(seconds), float(median), float(p95))
    if done.returncode != 0 or set(rows) != {"djstripe", "minimal", "processing", "webhook_to_grant"}:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit("the Stripe webhook benchmark failed")
    return rows


def print_table(rows: dict[str, tuple[int, float, float, float]]) -> None:
    print("\nStripe webhooks, signed events posted one after another")
    print(f"{'path':<40}{'events':>8}{'events/s':>10}{'median ms':>11}{'p95 ms':>9}")
    labels = {
        "djstripe": "dj-stripe endpoint (stored, queued)",
        "minimal": "minimal view (verify + one insert)",
        "processing": "worker: sync + receivers, per event",
    }
    for name in ("djstripe", "minimal", "processing"):
        events, seconds, median, p95 = rows[name]
        print(f"{labels[name]:<40}{events:>8}{events / seconds:>10.1f}{median:>11.2f}{p95:>9.2f}")
    ratio = (rows["djstripe"][0] / rows["djstripe"][1]) / (rows["minimal"][0] / rows["minimal"][1])
    print(f"ratio, endpoint ÷ minimal (target ≥ 0.5): {ratio:.2f}")
    payments, seconds, median, p95 = rows["webhook_to_grant"]
    print(f"webhook-to-grant with a real worker: {payments} payments, median {median:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    print_table(run())
