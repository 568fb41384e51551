"""The labelled evaluation of the minors screen (``safety/eval/prompts.jsonl``): each line is
``{"text", "label": "refuse" | "allow", "class", "nsfw"?}``. Prompts labelled ``refuse`` must all
be refused; at most 1 % of those labelled ``allow`` (harmless look-alikes) may be.

It measures the rules with the policy that applies when no moderator answers (an uncertain
finding is refused in adult content and let through elsewhere), so it runs offline, the same way
every time, and shows what the screen holds without an LLM.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from safety.screen import rules_decide

PROMPTS = Path(__file__).resolve().parent / "eval" / "prompts.jsonl"
MAX_FALSE_REFUSALS = 0.01


@dataclass(frozen=True)
class Case:
    text: str
    label: str
    cls: str
    nsfw: bool = False


@dataclass
class Tally:
    cases: int = 0
    refused: int = 0
    wrong: list[Case] = field(default_factory=list)


@dataclass
class Report:
    by_class: dict[str, Tally]
    label_of: dict[str, str]

    def _sum(self, label: str) -> Tally:
        total = Tally()
        for cls, tally in self.by_class.items():
            if self.label_of[cls] == label:
                total.cases += tally.cases
                total.refused += tally.refused
                total.wrong.extend(tally.wrong)
        return total

    @property
    def must_refuse(self) -> Tally:
        return self._sum("refuse")

    @property
    def lookalikes(self) -> Tally:
        return self._sum("allow")

    @property
    def recall(self) -> float:
        total = self.must_refuse
        return total.refused / total.cases if total.cases else 1.0

    @property
    def false_refusal_rate(self) -> float:
        total = self.lookalikes
        return total.refused / total.cases if total.cases else 0.0

    @property
    def precision(self) -> float:
        caught, wrongly = self.must_refuse.refused, self.lookalikes.refused
        return caught / (caught + wrongly) if caught + wrongly else 1.0

    @property
    def passed(self) -> bool:
        return not self.must_refuse.wrong and self.false_refusal_rate <= MAX_FALSE_REFUSALS

    def lines(self) -> list[str]:
        """The report as printed: one row per class, then the totals and every mistake."""
        out = [f"{'class':28} {'label':7} {'prompts':>7} {'refused':>7} {'precision':>9} {'recall':>7}"]
        for cls in sorted(self.by_class, key=lambda c: (self.label_of[c] != "refuse", c)):
            tally, label = self.by_class[cls], self.label_of[cls]
            if label == "refuse":
                precision, recall = "1.000" if tally.refused else "-", f"{tally.refused / tally.cases:.3f}"
            else:
                precision, recall = ("0.000" if tally.refused else "-"), "-"
            out.append(f"{cls:28} {label:7} {tally.cases:7} {tally.refused:7} {precision:>9} {recall:>7}")
        must, looks = self.must_refuse, self.lookalikes
        out += [
            "",
            f"must-refuse: {must.refused}/{must.cases} refused, recall {self.recall:.3f}",
            f"look-alikes: {looks.refused}/{looks.cases} refused, false-refusal rate {self.false_refusal_rate:.3%}",
            f"overall precision {self.precision:.3f}, recall {self.recall:.3f}",
        ]
        out += [f"MISSED   [{c.cls}] {c.text!r}" for c in must.wrong]
        out += [f"REFUSED  [{c.cls}] {c.text!r}" for c in looks.wrong]
        out.append(
            "PASS"
            if self.passed
            else f"FAIL: targets are no misses and at most {MAX_FALSE_REFUSALS:.0%} false refusals"
        )
        return out


def cases_load(path: Path = PROMPTS) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in ("refuse", "allow") or not row.get("text") or not row.get("class"):
            raise ValueError(f"{path.name} line {number}: needs text, class and a label of refuse or allow")
        cases.append(Case(row["text"], row["label"], row["class"], bool(row.get("nsfw"))))
    return cases


def refused_offline(text: str, *, nsfw: bool) -> bool:
    """Whether the screen refuses ``text`` with no moderator to ask."""
    decision = rules_decide(text, nsfw=nsfw)
    return decision.refused or (decision.verdict == "uncertain" and nsfw)


def evaluate(cases: list[Case]) -> Report:
    by_class: dict[str, Tally] = defaultdict(Tally)
    label_of: dict[str, str] = {}
    for case in cases:
        if label_of.setdefault(case.cls, case.label) != case.label:
            raise ValueError(f"class {case.cls} mixes labels")
        tally = by_class[case.cls]
        tally.cases += 1
        refused = refused_offline(case.text, nsfw=case.nsfw)
        tally.refused += refused
        if refused != (case.label == "refuse"):
            tally.wrong.append(case)
    return Report(dict(by_class), label_of)
