"""The labelled evaluation set, the held-out prompts, and the ``safety_eval`` command."""

import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from safety.evaluation import MAX_FALSE_REFUSALS, PROMPTS, cases_load, evaluate

HELD_OUT = Path(__file__).with_name("heldout_prompts.jsonl")


def test_the_set_covers_both_directions_and_every_evasion_class():
    cases = cases_load()
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 300
    assert labels["refuse"] >= 200
    assert labels["allow"] >= 100
    classes = {c.cls for c in cases}
    for needed in (
        "age_words",
        "age_forms",
        "school",
        "relation_age",
        "synonyms",
        "zero_width",
        "confusables_cyrillic",
        "confusables_greek",
        "fullwidth",
        "combining_marks",
        "split_letters",
        "lookalike_materials",
        "lookalike_idioms",
        "lookalike_eras",
        "lookalike_colours",
        "lookalike_venues",
    ):
        assert needed in classes


def test_the_screen_meets_its_targets_on_the_evaluation_set():
    report = evaluate(cases_load())
    assert report.must_refuse.wrong == []
    assert report.false_refusal_rate <= MAX_FALSE_REFUSALS


def test_the_screen_meets_its_targets_on_prompts_it_was_not_written_against():
    """Written after the rules, kept out of the evaluation set (see the issue's note on tuning)."""
    report = evaluate(cases_load(HELD_OUT))
    assert len(report.must_refuse.wrong) == 0, [c.text for c in report.must_refuse.wrong]
    assert report.false_refusal_rate <= MAX_FALSE_REFUSALS, [c.text for c in report.lookalikes.wrong]


def test_the_command_prints_the_figures(capsys):
    call_command("safety_eval")
    out = capsys.readouterr().out
    assert "must-refuse: " in out
    assert "recall 1.000" in out
    assert "false-refusal rate" in out
    assert out.rstrip().endswith("PASS")


def test_the_command_fails_on_a_miss_and_on_an_unreadable_file(tmp_path):
    missed = tmp_path / "missed.jsonl"
    missed.write_text(json.dumps({"text": "a sunny meadow", "label": "refuse", "class": "x"}) + "\n")
    with pytest.raises(CommandError, match="missed its targets"):
        call_command("safety_eval", file=missed)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "no label"}\n')
    with pytest.raises(CommandError, match="Can't read"):
        call_command("safety_eval", file=broken)
    assert PROMPTS.exists()
