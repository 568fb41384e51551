"""The demo provider's script work, done locally and labelled demo (never presented as AI):

- a breakdown request (``wants_breakdown``) is answered from the screenplay's own structure
  (``providers.screenplay``): scene headings, character cues, props in capitals, "wearing …";
- a project-assistant request (``wants_answer``) is answered by quoting the retrieved passages it
  carries, best match first, streamed a few words at a time like a model's answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from providers import screenplay

BREAKDOWN_MARK = "SCRIPT BREAKDOWN"
ASSISTANT_MARK = "PROJECT ASSISTANT"
SCENE_BLOCK = re.compile(r"^=== SCENE (\d+) · pages (\d+)-(\d+) ===$", re.MULTILINE)
DEMO_LEAD = "Demo answer (no language model is configured, so this quotes your project instead of writing):"


def _texts(arguments: dict) -> tuple[str, str]:
    system = user = ""
    for message in arguments.get("messages") or []:
        content = message.get("content")
        text = content if isinstance(content, str) else " ".join(str(p.get("text", "")) for p in content or [])
        if message.get("role") == "system":
            system += text
        elif message.get("role") == "user":
            user = text  # the last question
    return system, user


def wants_breakdown(arguments: dict) -> bool:
    return BREAKDOWN_MARK in _texts(arguments)[0]


def wants_answer(arguments: dict) -> bool:
    return ASSISTANT_MARK in _texts(arguments)[0]


def breakdown(arguments: dict) -> dict:
    """The chunk's breakdown read from its structure, in the JSON the model is asked for."""
    _system, user = _texts(arguments)
    blocks = list(SCENE_BLOCK.finditer(user))
    scenes: list[dict] = []
    characters: dict[str, dict] = {}
    props: dict[str, set[int]] = {}
    locations: dict[str, set[int]] = {}
    costumes: dict[tuple[str, str], set[int]] = {}
    for index, block in enumerate(blocks):
        number, first, last = (int(g) for g in block.groups())
        end = blocks[index + 1].start() if index + 1 < len(blocks) else len(user)
        lines = user[block.end() : end].strip().split("\n")
        heading_line = lines[0] if lines and screenplay.is_heading(lines[0]) else ""
        heading = screenplay.heading_parts(heading_line) if heading_line else None
        body = "\n".join(lines[1:] if heading_line else lines)
        facts = screenplay.scene_facts(body)
        scenes.append(
            {
                "number": number,
                "heading": heading.text if heading else f"Scene {number}",
                "int_ext": heading.int_ext if heading else "",
                "time_of_day": heading.time_of_day if heading else "",
                "page_start": first,
                "page_end": last,
                "synopsis": facts.synopsis,
            }
        )
        if heading and heading.location:
            locations.setdefault(heading.location, set()).add(number)
        for name in facts.characters:
            entry = characters.setdefault(name, {"name": name.title(), "description": "", "scenes": set()})
            entry["scenes"].add(number)
            if not entry["description"] and name in facts.introductions:
                entry["description"] = facts.introductions[name]
        for prop in facts.props:
            props.setdefault(prop, set()).add(number)
        for who, costume in facts.costumes:
            costumes.setdefault((who, costume), set()).add(number)
    spoken = {name.lower() for name in characters}
    answer = {
        "scenes": scenes,
        "characters": [{**c, "scenes": sorted(c["scenes"])} for c in characters.values()],
        "props": [{"name": p, "scenes": sorted(s)} for p, s in props.items() if p not in spoken],
        "locations": [{"name": loc, "scenes": sorted(s)} for loc, s in locations.items()],
        "costumes": [
            {"name": costume, "character": who.title(), "scenes": sorted(s)} for (who, costume), s in costumes.items()
        ],
    }
    return {"text": json.dumps(answer), "usage": {}, "model": "demo"}


def answer_words(arguments: dict) -> Iterator[str]:
    """A demo answer quoting the request's passages (``[Sn] title: text`` lines, best first), a few
    words at a time."""
    _system, user = _texts(arguments)
    passages = re.findall(r"^\[S(\d+)\] ([^\n]*?): (.+)$", user, flags=re.MULTILINE)
    if passages:
        parts = [DEMO_LEAD]
        for number, title, text in passages[:3]:
            quote = " ".join(text.split())
            parts.append(f"\n\n> {quote[:400]}{'…' if len(quote) > 400 else ''} [S{number}] ({title})")
    else:
        parts = [
            DEMO_LEAD,
            "\n\nNothing in this project matches the question yet. Upload a script or add library items, "
            "then ask again.",
        ]
    text = "".join(parts)
    yield from re.findall(r"\S+\s*|\s+", text)
