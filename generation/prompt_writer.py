"""The language model writing prompts (xAI Grok; PRODUCT.md §3 "prompt generator").

Two requests, both asking for a JSON array of strings so one parser reads them:

- ``writer_request``: "Write prompts for me" in the Studio: ``count`` varied prompts from the
  Studio's choices (a ``PromptDraft``, 1 credit), shown to the person for editing;
- ``describe_request``: the library batch: the vision model describes a reference image as a prompt
  for the character (one per image, part of that image's price).

Adult wording is asked for only when the character is allowed it (the Studio's own NSFW switch
under the same rules), and every prompt that comes back is screened for minors like typed ones.
"""

from __future__ import annotations

import json
import re

from characters import attributes
from characters.models import Character
from providers.adapters.base import ProviderError
from providers.adapters.xai import vision_message

MAX_PROMPTS = 10
MAX_PROMPT_CHARS = 1000

SYSTEM = (
    "You write prompts for a photorealistic image model that renders one consistent character. "
    "The character is always an adult. Never describe children, teenagers or anyone under 18, and never "
    "name real people. Write each prompt as one line of comma-separated phrases, at most 60 words. "
    "Answer with a JSON array of strings and nothing else."
)
SFW_LINE = "Keep every prompt safe for work: no nudity and nothing sexual."
NSFW_LINE = (
    "Adult (NSFW) content is allowed for this adult character: you may describe sensual or nude adult "
    "scenes tastefully."
)


def writer_request(*, base_prompt: str, count: int, nsfw: bool, notes: str = "") -> dict:
    """The chat request for ``count`` varied prompts built around ``base_prompt``."""
    lines = [
        f"Write {count} different prompts for photos of the same person.",
        f"Base prompt: {base_prompt}",
        "Keep the person's appearance, outfit, place and mood from the base prompt. Vary the pose, action, "
        "camera angle, framing, expression and small details of light and setting, so no two look alike.",
        NSFW_LINE if nsfw else SFW_LINE,
    ]
    if notes:
        lines.append(f"The user adds: {notes}")
    lines.append(f"Answer with a JSON array of {count} strings.")
    return {
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}],
        "temperature": 0.9,
        "max_tokens": 160 * count,
    }


def describe_request(*, character: Character, reference_marker: dict, nsfw: bool) -> dict:
    """The vision request that turns a reference image into a prompt for ``character``."""
    person = attributes.describe(character)
    wearing = attributes.words("default_outfit", character.default_outfit)
    text = "\n".join(
        [
            "Write 1 prompt that recreates this photo with a different person in it.",
            f"Base prompt: {person}" + (f", wearing {wearing}" if wearing else ""),
            "Describe the photo's pose, framing, camera angle, setting, light, colours and mood, and the clothing "
            "the person in it wears. Describe the new person with the base prompt's words, not the person in "
            "the photo. Don't name anyone.",
            NSFW_LINE if nsfw else SFW_LINE,
            "Answer with a JSON array of 1 string.",
        ]
    )
    return {
        "messages": [{"role": "system", "content": SYSTEM}, vision_message(text, reference_marker)],  # type: ignore[arg-type]
        "temperature": 0.4,
        "max_tokens": 220,
    }


def parse_prompts(text: str, *, expected: int) -> list[str]:
    """The prompts in a model's answer: a JSON array (also inside a ``` fence), else one per line.

    Raises ``ProviderError`` when nothing usable came back. Extra prompts are dropped; fewer than
    ``expected`` are returned as they are (the caller fills the rest from its own prompt).
    """
    text = (text or "").strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    items: list = []
    start, end = text.find("["), text.rfind("]")
    if start != -1 and end > start:
        try:
            parsed = json.loads(text[start : end + 1])
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            items = parsed
    if not items:
        items = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line) for line in text.splitlines()]
    prompts = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("prompt", "")
        prompt = " ".join(str(item).split()).strip("\"'“”")
        if prompt:
            prompts.append(prompt[:MAX_PROMPT_CHARS])
    if not prompts:
        raise ProviderError("The language model sent back no prompts. Try again.")
    return prompts[:expected]
