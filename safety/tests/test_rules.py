"""The rules on their own: each kind of finding, both directions, and what the refusal says."""

from datetime import date

import pytest

from safety.screen import rules_decide
from safety.tests.evasions import EVASIONS, LOOKALIKES


@pytest.mark.parametrize(("kind", "text"), EVASIONS.items(), ids=EVASIONS.keys())
def test_every_evasion_class_is_refused(kind, text):
    assert rules_decide(text).verdict == "refuse"


@pytest.mark.parametrize("text", LOOKALIKES)
def test_harmless_lookalikes_pass(text):
    assert rules_decide(text).verdict == "allow"


@pytest.mark.parametrize(
    ("text", "rule", "matched"),
    [
        ("a 15-year-old on the bed", "age", "15-year-old"),
        ("she is fourteen", "age", "she is fourteen"),
        ("girl aged 12", "age", "girl aged 12"),
        ("my niece, 13, at the park", "age", "niece, 13"),
        ("(15F) selfie", "age", "(15F)"),
        ("a 6 month old on a rug", "age", "6 month old"),
        ("an 8th grader in class", "school", "8th grader"),
        ("she is in the tenth grade", "school", "tenth grade"),
        ("a sophomore in high school", "school", "sophomore in high school"),
        ("a kid in the pool", "minor_word", "kid"),
        ("a group of minors", "minor_word", "minors"),
    ],
)
def test_the_decision_names_the_rule_and_the_words_as_typed(text, rule, matched):
    decision = rules_decide(text)
    assert (decision.verdict, decision.rule, decision.matched) == ("refuse", rule, matched)


@pytest.mark.parametrize(
    "text",
    [
        "a 12 year old single malt scotch",
        "this house is 15 years old",
        "my 14 year old dog asleep",
        "she is 15 minutes late",
        "an 8th grade teacher at the whiteboard",
        "a song in A minor on the piano",
        "a minor character in the novel",
        "I kid you not, it's child's play",
        "the childhood home of the writer (adult woman, 30)",
        "adults only, no kids",
        "children are not permitted in the wine cellar",
        "a children's book illustrator at her desk",
        "baby blue silk dress",
        "the 1920s flapper style",
        "Kidderminster high street",
    ],
)
def test_words_that_are_not_about_a_person_pass(text):
    assert rules_decide(text).verdict == "allow"


def test_a_birth_year_is_read_against_today():
    assert rules_decide("born in 2012", today=date(2026, 6, 1)).verdict == "refuse"
    assert rules_decide("born in 2000", today=date(2026, 6, 1)).verdict == "allow"


def test_youthful_wording_is_uncertain_only_in_adult_content():
    assert rules_decide("a girl with red hair on a pier").verdict == "allow"
    assert rules_decide("a nude girl on a bed", nsfw=True).verdict == "uncertain"
    assert rules_decide("a nude woman, 30, on a bed", nsfw=True).verdict == "allow"
    assert rules_decide("a woman walking past a high school").verdict == "uncertain"  # everywhere


def test_the_message_says_what_was_found_and_what_to_change():
    message = rules_decide("a fifteen-year-old on the beach").message()
    assert message.startswith("Prompts can't mention children or anyone under 18: “fifteen-year-old” reads as an age")
    assert "Give an age of 18 or more" in message
    named = rules_decide("a kid").message("A character's name")
    assert named.startswith("A character's name can't mention children")
    assert "Describe an adult instead" in named


def test_an_empty_text_passes():
    assert rules_decide("").verdict == "allow"


@pytest.mark.parametrize(
    "text",
    [
        "portrait shot at f/1.8, golden hour",
        "a woman, 35mm lens, f/16",
        "street photo, f/16, wide lens",
        "F/4 aperture, shallow depth of field",
        "woman in a park, 50mm, f/8",
    ],
)
def test_a_lens_aperture_is_not_an_age(text):
    assert rules_decide(text).verdict == "allow"


@pytest.mark.parametrize(
    "text",
    [
        "photo of a f/16 girl",  # the tag describes a person
        "girl f/16 shot on 85mm",  # camera words don't excuse a tag right after a person
        "street photo, f/16",  # no photographic context: still read as "female, 16"
        "(f16) selfie",
    ],
)
def test_a_gender_and_age_tag_is_still_refused_beside_camera_words(text):
    assert rules_decide(text).rule == "age"
