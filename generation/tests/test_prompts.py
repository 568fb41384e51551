"""The prompt builder over every scene × environment × outfit choice (none trips the minors screen),
and the prompt writer's parser."""

import itertools

import pytest

from characters import attributes
from characters.models import Character
from generation import presets, prompt_writer, prompts
from providers.adapters.base import ProviderError
from safety.screen import rules_decide


@pytest.fixture
def character():
    # Unsaved: the builder only reads attributes.
    return Character(
        name="Nova Reyes",
        trigger_word="prsn7k2x",
        style="photo",
        gender="female",
        age=27,
        ethnicity="hispanic",
        hair_colour="auburn",
        hair_style="long_wavy",
        eye_colour="green",
        body_type="athletic",
        default_outfit="leather_jacket",
        notes="freckles",
    )


OUTFITS = [presets.KEEP_OUTFIT, presets.CLOTHING, *presets.OUTFIT_KEYS]


@pytest.mark.parametrize(
    ("scene", "environment"), list(itertools.product(presets.SCENE_KEYS, presets.ENVIRONMENT_KEYS))
)
def test_every_scene_and_environment_builds_a_complete_prompt(character, scene, environment):
    for outfit, trigger in itertools.product(OUTFITS, (True, False)):
        prompt = prompts.build_prompt(
            character,
            scene=scene,
            environment=environment,
            outfit=outfit,
            extra="  holding a  coffee ",
            trigger=trigger,
        )
        assert prompt.startswith("prsn7k2x, Photo of a 27 year old") == trigger
        assert (
            "Photo of a 27 year old Latina woman, with long wavy auburn hair, green eyes, athletic body type" in prompt
        )
        assert "freckles" in prompt
        assert presets.SCENES_BY_KEY[scene].prompt in prompt
        assert presets.ENVIRONMENTS_BY_KEY[environment].prompt in prompt
        worn = attributes.words("default_outfit", outfit if outfit in presets.OUTFIT_KEYS else "leather_jacket")
        assert f"wearing {worn}," in prompt
        assert "holding a coffee, " in prompt  # whitespace tidied, before the quality words
        assert prompt.endswith(prompts.QUALITY_WORDS)
        # Order: appearance, outfit, environment, scene, the person's words, quality.
        order = [
            prompt.index("Photo of"),
            prompt.index("wearing"),
            prompt.index(presets.ENVIRONMENTS_BY_KEY[environment].prompt),
            prompt.index(presets.SCENES_BY_KEY[scene].prompt),
            prompt.index("holding a coffee"),
        ]
        assert order == sorted(order)
        assert rules_decide(prompt, nsfw=True).verdict == "allow"  # no preset trips the minors screen


def test_anime_characters_get_illustration_words(character):
    character.style = "anime"
    prompt = prompts.build_prompt(character, scene="beach_day", environment="beach")
    assert prompt.startswith("Anime illustration of a 27 year old")
    assert prompt.endswith(prompts.ANIME_QUALITY_WORDS)


def test_a_written_prompt_gets_the_trigger_word_once(character):
    assert prompts.with_trigger("a woman on a pier", character) == "prsn7k2x, a woman on a pier"
    assert prompts.with_trigger("PRSN7K2X on a pier", character) == "PRSN7K2X on a pier"


def test_the_writer_parser_reads_json_fences_and_lists():
    assert prompt_writer.parse_prompts('["a", "b", "c"]', expected=2) == ["a", "b"]
    assert prompt_writer.parse_prompts('Sure!\n```json\n["one", "two"]\n```', expected=5) == ["one", "two"]
    assert prompt_writer.parse_prompts("1. first one\n2) second one\n- third", expected=3) == [
        "first one",
        "second one",
        "third",
    ]
    assert prompt_writer.parse_prompts('[{"prompt": "x"}]', expected=1) == ["x"]
    with pytest.raises(ProviderError, match="no prompts"):
        prompt_writer.parse_prompts("   ", expected=3)
