"""Normalising text before the rules read it, so a rule written once for "child" also holds for
"ｃｈｉｌｄ", "сhild" (a Cyrillic с), "c\u200bhild", "c̷h̷i̷l̷d̷", "c h i l d", "ch.ild" and "k1d", and a
rule for ages under 18 holds for "fifteen-year-old" as well as "15-year-old".

The steps, each keeping a map from every character it outputs back to the characters of the
original, so a refusal can quote what the person actually typed:

1. per character: drop format characters (Unicode category Cf: zero-width spaces and joiners,
   soft hyphens, bidi controls, tag characters) and other invisible fillers; NFKC (full-width and
   mathematical letters, ligatures, superscripts become plain ones); NFD and drop combining marks
   (accents, strike-through and "zalgo" overlays); casefold; map look-alike letters from other
   scripts to the Latin letter they imitate, from the TR39 confusables data that
   ``confusable-homoglyphs`` ships; dashes to "-", typographic quotes to "'", all spaces to " ";
2. rejoin words split into single letters ("c h i l d", "k.i.d", "t-e-e-n") and fragments that only
   together make a sensitive word ("ch ild", "te.en");
3. undo digit-for-letter spellings that make a sensitive word ("k1d", "t33n", "l0li");
4. number words to digits ("thirteen" → "13", "fifteen-year-old" → "15-year-old",
   "eighth grader" → "8th grader"), with ``text2num``.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii
from confusable_homoglyphs.confusables import confusables_data
from text_to_num import alpha2digit

from safety import lexicon

# Invisible characters that are not in category Cf: Hangul fillers, the braille blank, the
# combining grapheme joiner (a mark, dropped anyway) and the Mongolian vowel separator.
_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f", "\u180e"}
_DASHES = {"\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58", "\ufe63", "\uff0d"}
_QUOTES = {"\u2018", "\u2019", "\u201b", "\u2032", "\u02bc", "\uff07", "`", "\u00b4"}
_SMALL_CAPITAL = re.compile(r"^LATIN LETTER SMALL CAPITAL ([A-Z])$")


@dataclass(frozen=True)
class Normalised:
    """``text`` as the rules read it, and for each of its characters the ``(start, end)`` of the
    original characters it came from."""

    original: str
    text: str
    spans: tuple[tuple[int, int], ...]

    def original_span(self, start: int, end: int) -> str:
        """The original text behind ``text[start:end]``."""
        if start >= end or not self.spans:
            return ""
        begin = self.spans[start][0]
        finish = self.spans[min(end, len(self.spans)) - 1][1]
        return self.original[begin:finish]


@functools.lru_cache(maxsize=8192)
def _skeleton_char(ch: str) -> str:
    """The ASCII letter or digit ``ch`` imitates (TR39 confusables), or ``ch`` itself."""
    if ch.isascii():
        return ch
    for candidate in (ch, ch.upper()):
        target = _ascii_prototype(candidate)
        if target:
            return target.lower()
    match = _SMALL_CAPITAL.match(unicodedata.name(ch, ""))
    if match:
        return match.group(1).lower()
    return ch


def _ascii_prototype(ch: str) -> str:
    """Follow the confusables graph up to two steps from ``ch`` to a single ASCII letter or digit."""
    seen = {ch}
    frontier = [ch]
    for _step in range(2):
        following = []
        for current in frontier:
            for entry in confusables_data.get(current, ()):
                glyph = entry["c"]
                if len(glyph) == 1 and glyph.isascii() and glyph.isalnum():
                    return glyph
                if len(glyph) == 1 and glyph not in seen:
                    seen.add(glyph)
                    following.append(glyph)
        frontier = following
    return ""


def _fold_char(ch: str, transliterate: bool = False) -> str:
    """Step 1 for one character: '' for an invisible one, else its plain lower-case form: the
    letter it looks like, or with ``transliterate`` the letter it spells (Greek ν is "v" to the eye
    and "n" to a reader of Greek; the rules read both)."""
    if ch in _INVISIBLE or unicodedata.category(ch) == "Cf":
        return ""
    if ch in _DASHES:
        return "-"
    if ch in _QUOTES:
        return "'"
    if ch == "\n":
        return "\n"
    if ch.isspace():
        return " "
    out = []
    for part in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", ch)):
        if unicodedata.category(part) in ("Mn", "Me"):
            continue
        for folded in part.casefold():
            if transliterate and not folded.isascii() and unicodedata.category(folded).startswith("L"):
                out.append(anyascii(folded).lower())
            else:
                out.append(_skeleton_char(folded))
    return "".join(out)


class _Builder:
    """Characters with the original span each came from."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.spans: list[tuple[int, int]] = []

    def add(self, text: str, span: tuple[int, int]) -> None:
        for ch in text:
            self.chars.append(ch)
            self.spans.append(span)


def _fold(text: str, transliterate: bool) -> tuple[str, list[tuple[int, int]]]:
    built = _Builder()
    for i, ch in enumerate(text):
        built.add(_fold_char(ch, transliterate), (i, i + 1))
    return "".join(built.chars), built.spans


def _rewrite(
    text: str, spans: list[tuple[int, int]], pattern: re.Pattern, replace
) -> tuple[str, list[tuple[int, int]]]:
    """Replace each match of ``pattern`` with ``replace(match)`` (None keeps it), mapping every
    replacement character to the whole original span of the match."""
    built = _Builder()
    last = 0
    for match in pattern.finditer(text):
        new = replace(match)
        if new is None:
            continue
        for i in range(last, match.start()):
            built.add(text[i], spans[i])
        span = (spans[match.start()][0], spans[match.end() - 1][1])
        built.add(new, span)
        last = match.end()
    for i in range(last, len(text)):
        built.add(text[i], spans[i])
    return "".join(built.chars), built.spans


# Step 2. Three or more single letters separated by one to three separators: "c h i l d", "k.i.d".
_SEPARATOR = r"[ .\-_*/|+~,'·•:;=]"
_SPLIT_LETTERS = re.compile(rf"(?<![a-z0-9])[a-z](?:{_SEPARATOR}{{1,3}}[a-z]){{2,}}(?![a-z0-9])")


def _join_letters(match: re.Match) -> str:
    joined = re.sub(r"[^a-z]", "", match.group(0))
    # Single letters hide word boundaries too ("a c h i l d"): set sensitive words apart.
    return " ".join(lexicon.split_on_sensitive(joined))


# Two to four short fragments with one separator between each: "ch ild", "te.en", "to-ddl-er".
_FRAGMENT = re.compile(r"[a-z]{1,7}")


def _join_fragments(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Join neighbouring short fragments whose concatenation is a sensitive word."""
    words = list(re.finditer(r"[a-z0-9]+", text))
    joins: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        found = None
        for size in (4, 3, 2):
            window = words[i : i + size]
            if len(window) < size or not all(_FRAGMENT.fullmatch(w.group(0)) for w in window):
                continue
            gaps = [text[a.end() : b.start()] for a, b in itertools.pairwise(window)]
            # An apostrophe between fragments is a possessive or a contraction ("child's"), not a split.
            if not all(len(gap) == 1 and gap != "'" and re.fullmatch(_SEPARATOR, gap) for gap in gaps):
                continue
            joined = "".join(w.group(0) for w in window)
            if joined in lexicon.SENSITIVE_WORDS:
                found = (window[0].start(), window[-1].end(), joined)
                i += size
                break
        if found:
            joins.append(found)
        else:
            i += 1
    built = _Builder()
    last = 0
    for start, end, joined in joins:
        for k in range(last, start):
            built.add(text[k], spans[k])
        built.add(joined, (spans[start][0], spans[end - 1][1]))
        last = end
    for k in range(last, len(text)):
        built.add(text[k], spans[k])
    return "".join(built.chars), built.spans


# Step 3. Words with digits or symbols in place of letters.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "!": "i", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"(?<![a-z0-9])(?=[a-z0-9!@$]*[a-z])(?=[a-z0-9!@$]*[0-9!@$])[a-z0-9!@$]{3,12}(?![a-z0-9])")


def _unleet(match: re.Match) -> str | None:
    word = match.group(0)
    for candidate in (word.translate(_LEET), word.replace("1", "l").translate(_LEET)):
        if candidate in lexicon.SENSITIVE_WORDS:
            return candidate
    return None


# Step 4. Runs of number words: "fifteen", "twenty-five", "one hundred and two", "eighth".
_NUMBER_RUN = re.compile(
    rf"\b(?:{lexicon.NUMBER_WORDS})(?:(?:[\s-]+(?:and[\s-]+)?)(?:{lexicon.NUMBER_WORDS}))*\b",
)


def _digits(match: re.Match) -> str | None:
    words = match.group(0).replace("-", " ")
    converted = alpha2digit(words, "en", threshold=0)
    return converted if converted != words and any(c.isdigit() for c in converted) else None


def has_foreign_letters(text: str) -> bool:
    """Whether ``text`` has letters outside ASCII after NFKC (Greek, Cyrillic, Cherokee …): then the
    rules also read its transliteration."""
    return any(not c.isascii() and c.isalpha() for c in unicodedata.normalize("NFKC", text or ""))


def normalise(text: str, *, transliterate: bool = False) -> Normalised:
    """``text`` as the rules read it (see the module's docstring)."""
    folded, spans = _fold(text or "", transliterate)
    folded, spans = _rewrite(folded, spans, _SPLIT_LETTERS, _join_letters)
    folded, spans = _join_fragments(folded, spans)
    folded, spans = _rewrite(folded, spans, _LEET_WORD, _unleet)
    folded, spans = _rewrite(folded, spans, _NUMBER_RUN, _digits)
    return Normalised(original=text or "", text=folded, spans=tuple(spans))
