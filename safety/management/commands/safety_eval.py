"""``manage.py safety_eval``: the minors screen against its labelled evaluation set
(``safety/eval/prompts.jsonl``): precision and recall per class and overall. Exits non-zero if a
prompt that must be refused passes, or more than 1 % of the harmless look-alikes are refused."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safety.evaluation import PROMPTS, cases_load, evaluate


class Command(BaseCommand):
    help = "Evaluate the minors screen on the labelled prompts; fails on any miss or >1% false refusals."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=PROMPTS, help="A JSONL file of labelled prompts.")

    def handle(self, *args, file: Path, **options):
        try:
            cases = cases_load(file)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Can't read the evaluation set: {exc}") from exc
        report = evaluate(cases)
        for line in report.lines():
            self.stdout.write(line)
        if not report.passed:
            raise CommandError("The minors screen missed its targets (see above).")
