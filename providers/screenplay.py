"""Screenplay structure read without a model: scene headings (INT./EXT., location, time of day),
character cues, props (screenplays write a prop in CAPITALS where it first appears) and costumes
("wearing …", "dressed in …"), with the maintained Fountain parser (``fountain-py``).

Used to cut scripts into scenes before they go to the language model (``projects``), and by the
demo provider, whose breakdown is this structure read locally (labelled demo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fountain import ElementType, FountainParser

HEADING = re.compile(
    r"^(?:\d+[A-Z]?\s+)?(?:\.(?=[A-Z0-9])|(?:INT\.?/EXT|EXT\.?/INT|I/E|INT|EXT|EST)[\.\s])", re.IGNORECASE
)
TIMES = (
    "CONTINUOUS", "LATER", "MOMENTS LATER", "DAY", "NIGHT", "MORNING", "EVENING", "AFTERNOON", "DAWN", "DUSK",
    "SUNSET", "SUNRISE", "SAME", "NOON", "MIDNIGHT",
)  # fmt: skip
COSTUME = re.compile(r"\b(?:wearing|wears|dressed in|in (?:a|an|her|his|their))\s+([^.;,!?]{3,60})", re.IGNORECASE)
CAPS = re.compile(r"\b([A-Z][A-Z'\-]{2,}(?:\s+[A-Z][A-Z'\-]{2,}){0,2})\b")
NOT_PROPS = {
    "INT", "EXT", "CUT", "FADE", "THE", "AND", "DAY", "NIGHT", "CONTINUOUS", "LATER", "BACK", "TO", "END", "POV",
    "CLOSE", "ANGLE", "INSERT", "SUPER", "TITLE", "INTERCUT", "FLASHBACK", "MONTAGE", "BEAT", "SFX", "VFX", "O.S",
    "V.O", "CONT'D", "THEN", "SMASH", "DISSOLVE", "MATCH",
}  # fmt: skip


def is_heading(line: str) -> bool:
    return bool(HEADING.match(line.strip())) and len(line.strip()) < 120


@dataclass(frozen=True)
class Heading:
    text: str
    int_ext: str
    location: str
    time_of_day: str


def heading_parts(line: str) -> Heading:
    """``INT. KITCHEN - NIGHT`` → INT, Kitchen, Night (``.FORCED HEADING`` → no INT/EXT)."""
    text = re.sub(r"^\d+[A-Z]?\s+|\s+\d+[A-Z]?$", "", line.strip()).lstrip(".").strip()
    match = re.match(r"^(INT\.?/EXT|EXT\.?/INT|I/E|INT|EXT|EST)\.?\s*", text, flags=re.IGNORECASE)
    int_ext = ""
    rest = text
    if match:
        word = match.group(1).upper().replace(".", "")
        int_ext = "INT/EXT" if "/" in word else word
        rest = text[match.end() :]
    parts = [p.strip() for p in re.split(r"\s+[-–—]\s+", rest) if p.strip()]
    time_of_day = ""
    if len(parts) > 1 and any(t in parts[-1].upper() for t in TIMES):
        time_of_day = parts.pop().title()
    location = " - ".join(parts).title()
    return Heading(text=text.upper(), int_ext=int_ext, location=location, time_of_day=time_of_day)


@dataclass
class SceneFacts:
    characters: list[str] = field(default_factory=list)
    introductions: dict[str, str] = field(default_factory=dict)
    props: list[str] = field(default_factory=list)
    costumes: list[tuple[str, str]] = field(default_factory=list)
    synopsis: str = ""
    dialogue: list[tuple[str, str]] = field(default_factory=list)


def scene_facts(body: str) -> SceneFacts:
    """What a scene's text says: who speaks (cues), who is introduced and how, props, costumes,
    and its first line of action as a synopsis."""
    facts = SceneFacts()
    document = FountainParser().parse(body.strip() + "\n")
    actions: list[str] = []
    speaker = ""
    for element in document.elements:
        if element.type == ElementType.CHARACTER:
            speaker = _cue_name(element.text)
            if speaker and speaker not in facts.characters:
                facts.characters.append(speaker)
        elif element.type == ElementType.DIALOGUE and speaker:
            facts.dialogue.append((speaker, " ".join(element.text.split())))
        elif element.type == ElementType.ACTION:
            actions.append(" ".join(element.text.split()))
    for action in actions:
        for sentence in re.split(r"(?<=[.!?])\s+", action):
            for match in CAPS.finditer(sentence):
                word = match.group(1).strip()
                if word in facts.characters and word not in facts.introductions:
                    facts.introductions[word] = sentence.strip()
                elif word not in facts.characters and word.split()[0] not in NOT_PROPS:
                    prop = word.lower()
                    if prop not in facts.props:
                        facts.props.append(prop)
            for match in COSTUME.finditer(sentence):
                who = next((c for c in facts.characters if c.lower() in sentence.lower()), "")
                costume = match.group(1).strip().lower()
                if (who, costume) not in facts.costumes:
                    facts.costumes.append((who, costume))
    facts.props = [p for p in facts.props if p.upper() not in facts.introductions]
    facts.synopsis = next((a for a in actions if a), "")[:240]
    return facts


def _cue_name(cue: str) -> str:
    name = re.sub(r"\(.*?\)", "", cue).replace("^", "").strip().upper()
    return name if 1 < len(name) <= 40 else ""
