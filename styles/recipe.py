"""What the vision model is asked for a style recipe, and how its answer is read.

The request is an xAI chat completion showing the image (the 1024 px preview, inline) with a JSON
schema as ``response_format`` (structured outputs), so the model answers one JSON object with the
seven fields. ``answer_parse`` validates it with pydantic: an answer that isn't that object (prose,
a cut-off JSON, a field missing) raises ``RecipeUnreadable`` and the job asks again
(``styles.services``).
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from providers.adapters.xai import vision_message
from styles.models import FIELDS, MAX_FIELD_CHARS

SCHEMA_NAME = "style_recipe"

SYSTEM = (
    "You describe the visual style of a photo so that another, different adult person can be "
    "photographed in the same style. Describe only what is visible; never identify or name anyone, "
    "and never describe the person's face, body or age. Answer with one JSON object and nothing else."
)

INSTRUCTIONS = """Describe this photo's style as short comma-separated prompt phrases (at most 25 words each):
- pose: the person's pose and gesture (or "" if nobody is in it);
- outfit: the clothing and accessories worn (or "");
- lighting: the light's source, direction, quality and colour temperature;
- camera: shot type, angle, lens and focal length, depth of field, film or digital look;
- composition: framing, where the subject sits, orientation, negative space;
- background: the setting and environment behind the subject;
- mood: the atmosphere and emotional tone.
Answer with a JSON object with exactly these keys: pose, outfit, lighting, camera, composition, background, mood."""


class RecipeAnswer(BaseModel):
    """The model's answer: every field a string (possibly empty), trimmed and capped."""

    model_config = ConfigDict(extra="ignore")

    pose: str = Field(max_length=2000)
    outfit: str = Field(max_length=2000)
    lighting: str = Field(max_length=2000)
    camera: str = Field(max_length=2000)
    composition: str = Field(max_length=2000)
    background: str = Field(max_length=2000)
    mood: str = Field(max_length=2000)

    @field_validator(*FIELDS)
    @classmethod
    def _tidy(cls, value: str) -> str:
        return " ".join(value.split()).strip("\"'“”")[:MAX_FIELD_CHARS]

    @field_validator("camera")
    @classmethod
    def _camera(cls, value: str) -> str:
        return apertures_plain(value)

    def words(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


def _json_schema() -> dict:
    properties = {name: {"type": "string"} for name in FIELDS}
    return {"type": "object", "properties": properties, "required": list(FIELDS), "additionalProperties": False}


RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": SCHEMA_NAME, "schema": _json_schema(), "strict": True},
}


def extract_request(asset_marker: dict) -> dict:
    """The chat request showing the image (a ``$asset`` marker, resolved at submit) with the schema."""
    return {
        "messages": [{"role": "system", "content": SYSTEM}, vision_message(INSTRUCTIONS, asset_marker)],  # type: ignore[arg-type]
        "response_format": RESPONSE_FORMAT,
        "temperature": 0.2,
        "max_tokens": 700,
    }


_APERTURE = re.compile(r"(?<![a-z0-9])[fF]\s*/\s*(\d{1,2}(?:\.\d)?)(?![\d.])")


def apertures_plain(camera: str) -> str:
    """A camera description's f-numbers written "f2.8", not "f/2.8": the minors screen reads
    "f/16" as a gender-and-age tag ("F, 16"), and in the camera field it is always an aperture."""
    return _APERTURE.sub(r"f\1", camera)


class RecipeUnreadable(Exception):
    """The model's answer isn't the recipe object; ``reason`` says how, for the job's error."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def answer_parse(text: str) -> RecipeAnswer:
    """The recipe in a model's answer (a JSON object, also inside a ``` fence). Raises ``RecipeUnreadable``."""
    text = (text or "").strip()
    if fenced := re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL):
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except ValueError:
        raise RecipeUnreadable("its answer wasn't valid JSON") from None
    if not isinstance(data, dict):
        raise RecipeUnreadable("its answer wasn't a JSON object")
    try:
        answer = RecipeAnswer.model_validate(data)
    except ValidationError as exc:
        fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        raise RecipeUnreadable(f"its answer was missing or mistyped {', '.join(fields) or 'fields'}") from None
    if not any(answer.words().values()):
        raise RecipeUnreadable("its answer was empty")
    return answer


# What a pack's prompt takes from a recipe (``StyleRecipe.snapshot()``), after the character's own
# words and outfit: where and how the photo is taken. The outfit is the prompt builder's to place.
PROMPT_FIELDS = ("pose", "background", "lighting", "camera", "composition", "mood")


def prompt_phrases(snapshot: dict) -> list[str]:
    """The recipe's words for a prompt, in order, with the palette as colour names."""
    from styles.palette import palette_words

    phrases = [" ".join(str(snapshot.get(name) or "").split()) for name in PROMPT_FIELDS]
    phrases.append(palette_words(list(snapshot.get("palette_names") or [])[:4]))
    return [p for p in phrases if p]
