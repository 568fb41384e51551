"""The minors screen on its labelled evaluation set (``manage.py safety_eval``): precision and
recall per class and overall, the held-out prompts, and how long one screen takes. ``make bench``
fails when the screen misses its targets (any must-refuse prompt passing, >1 % false refusals)."""

from __future__ import annotations

import time
from pathlib import Path

from safety.evaluation import cases_load, evaluate
from safety.screen import rules_decide

HELD_OUT = Path(__file__).resolve().parents[1] / "safety" / "tests" / "heldout_prompts.jsonl"


def run() -> bool:
    print("\nMinors screen (safety/eval/prompts.jsonl)")
    cases = cases_load()
    report = evaluate(cases)
    for line in report.lines():
        print("  " + line)
    held_out = evaluate(cases_load(HELD_OUT))
    print(
        f"  held-out ({HELD_OUT.name}): recall {held_out.recall:.3f}, "
        f"false-refusal rate {held_out.false_refusal_rate:.3%}, {'PASS' if held_out.passed else 'FAIL'}"
    )
    started = time.perf_counter()
    for case in cases:
        rules_decide(case.text, nsfw=case.nsfw)
    per_prompt = (time.perf_counter() - started) * 1000 / len(cases)
    print(f"  {per_prompt:.2f} ms per prompt (normalise + rules), {len(cases)} prompts")
    return report.passed and held_out.passed
