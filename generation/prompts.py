"""Prompts for the Studio (seed 003, "Prompt Engineering"): the character's appearance, the outfit,
the environment, the scene and the quality words, led by the trigger word when the character's
LoRA is used (HD mode), plus whatever the person typed.

    prsn7k2x, Photo of a 27 year old Latina woman with long wavy auburn hair, green eyes, athletic
    body type, wearing a black leather jacket over a band tee, on a city street, urban environment,
    street style, candid moment, natural pose, authentic lifestyle shot, professional photography,
    high quality, detailed
"""

from __future__ import annotations

from characters import attributes
from characters.models import Character
from generation import presets
from styles import recipe as style_recipe

QUALITY_WORDS = "professional photography, high quality, detailed"
ANIME_QUALITY_WORDS = "high quality anime illustration, detailed, clean line art"
NEGATIVE_PROMPT = (
    "deformed, blurry, bad anatomy, disfigured, poorly drawn face, mutation, mutated, extra limb, ugly, "
    "poorly drawn hands, bad fingers, extra fingers, missing fingers"
)
MAX_PROMPT = 2000


def outfit_words(character: Character, outfit: str, style: dict | None = None) -> str:
    """What the character wears in the prompt: the chosen outfit, else the style's (when one is
    used), else their default. With a clothing image the try-on step dresses them, so the prompt
    keeps the default as a base."""
    if outfit and outfit != presets.CLOTHING:
        return attributes.words("default_outfit", outfit)
    if style and style.get("outfit") and outfit != presets.CLOTHING:
        return " ".join(str(style["outfit"]).split())
    return attributes.words("default_outfit", character.default_outfit)


def build_prompt(
    character: Character,
    *,
    scene: str,
    environment: str,
    outfit: str = presets.KEEP_OUTFIT,
    extra: str = "",
    trigger: bool = False,
    style: dict | None = None,
) -> str:
    """The prompt for one image from the Studio's choices (keys from ``generation.presets``).

    ``trigger``: lead with the character's trigger word (the LoRA is in use). ``extra`` (free
    text) goes after the presets and before the quality words, so the person's words win ties.
    ``style``: a style recipe (``StyleRecipe.snapshot()``) used instead of a scene and an
    environment: its pose, background, light, camera, composition, mood and palette, and its
    outfit unless one is chosen.
    """
    parts = []
    if trigger:
        parts.append(character.trigger_word)
    parts.append(attributes.describe(character))
    if character.notes:
        parts.append(" ".join(character.notes.split()))
    if wearing := outfit_words(character, outfit, style):
        parts.append(f"wearing {wearing}")
    if style:
        parts.extend(style_recipe.prompt_phrases(style))
    if environment:
        parts.append(presets.ENVIRONMENTS_BY_KEY[environment].prompt)
    if scene:
        parts.append(presets.SCENES_BY_KEY[scene].prompt)
    if extra := " ".join((extra or "").split()):
        parts.append(extra)
    parts.append(ANIME_QUALITY_WORDS if character.style == "anime" else QUALITY_WORDS)
    return ", ".join(parts)[:MAX_PROMPT]


def with_trigger(prompt: str, character: Character) -> str:
    """A written or edited prompt, led by the trigger word if it doesn't contain it already."""
    prompt = " ".join(prompt.split())
    if character.trigger_word.lower() in prompt.lower():
        return prompt[:MAX_PROMPT]
    return f"{character.trigger_word}, {prompt}"[:MAX_PROMPT]
