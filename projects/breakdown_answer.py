"""The breakdown a language model is asked for, read and checked (pydantic), and the merge of the
chunks' answers with de-duplication (a scene read twice in the overlap counts once; a character,
prop, location or costume named in many chunks is one row with all its scenes)."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TABS = ("scenes", "characters", "props", "locations", "costumes")


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Scene(_Row):
    number: int
    heading: str = ""
    int_ext: str = ""
    time_of_day: str = ""
    page_start: int = 0
    page_end: int = 0
    synopsis: str = ""


class Named(_Row):
    name: str = Field(min_length=1, max_length=200)
    scenes: list[int] = []

    @field_validator("scenes", mode="before")
    @classmethod
    def _numbers(cls, value):
        return [int(v) for v in value or [] if str(v).strip().isdigit()]


class Character(Named):
    description: str = ""


class Costume(Named):
    character: str = ""


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    scenes: list[Scene] = []
    characters: list[Character] = []
    props: list[Named] = []
    locations: list[Named] = []
    costumes: list[Costume] = []


class Unreadable(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def answer_parse(text: str) -> dict:
    """The model's answer as a breakdown dict. Raises ``Unreadable`` (not JSON, not the shape)."""
    text = (text or "").strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise Unreadable("no JSON object")
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        raise Unreadable("not valid JSON") from None
    try:
        return Answer.model_validate(data).model_dump()
    except ValidationError as exc:
        raise Unreadable(f"not a breakdown ({exc.error_count()} problems)") from None


def _key(name: str) -> str:
    name = re.sub(r"\((?:cont'?d|v\.?o\.?|o\.?s\.?|o\.?c\.?)\)", "", name, flags=re.IGNORECASE)
    return " ".join(name.lower().split()).strip(" .,:;")


def merge(answers: list[dict]) -> dict:
    """One breakdown from the chunks' answers, duplicates merged, each tab in its natural order."""
    scenes: dict[int, dict] = {}
    named: dict[str, dict[str, dict]] = {tab: {} for tab in TABS[1:]}
    for answer in answers:
        for scene in answer.get("scenes", []):
            kept = scenes.get(scene["number"])
            if kept is None or len(scene.get("synopsis", "")) > len(kept.get("synopsis", "")):
                scenes[scene["number"]] = scene
        for tab in TABS[1:]:
            for row in answer.get(tab, []):
                key = (
                    _key(row["name"]) if tab != "costumes" else f"{_key(row.get('character', ''))}|{_key(row['name'])}"
                )
                if not key.strip("|"):
                    continue
                kept = named[tab].get(key)
                if kept is None:
                    named[tab][key] = {**row, "scenes": sorted(set(row.get("scenes", [])))}
                    continue
                kept["scenes"] = sorted(set(kept["scenes"]) | set(row.get("scenes", [])))
                if len(row.get("description", "")) > len(kept.get("description", "")):
                    kept["description"] = row["description"]
    result: dict[str, list] = {"scenes": [scenes[n] for n in sorted(scenes)]}
    for tab in TABS[1:]:
        rows = list(named[tab].values())
        rows.sort(key=lambda r: (-len(r["scenes"]), r["name"].lower()))
        result[tab] = rows
    return result
