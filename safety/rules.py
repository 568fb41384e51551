"""The rules: what in normalised text (``safety.normalise``) names or implies a person under 18.

Each rule finds candidate spans and then reads the words around them, so the same word can be
refused about a person and let through about a thing: "a 15-year-old girl" but not "an
18-year-old whisky" or "this house is 12 years old"; "a kid" but not "kid leather gloves" or "I
kid you not"; "8th grader" but not "an 8th grade teacher"; "kids" but not "no kids allowed".

A finding is *certain* (refused outright) or *uncertain* (wording that can describe a minor but
often doesn't, such as "girl" or "high school"): ``safety.screen`` decides what an uncertain
finding means — a moderation call when one is configured, else refused in adult content and let
through elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from safety import lexicon
from safety.lexicon import words_pattern

ADULT = 18


@dataclass(frozen=True)
class Finding:
    """What a rule found: ``rule`` (``age``, ``minor_word``, ``school``, ``youthful``), where in the
    normalised text, and whether it is refused outright."""

    rule: str
    start: int
    end: int
    certain: bool = True
    adult_content_only: bool = False


# --- Context: what the words next to a span are about ----------------------------------------------

_PERSON = set(lexicon.PERSON_NOUNS) | {w + "s" for w in lexicon.PERSON_NOUNS if w.isalpha() and len(w) > 3}
_OBJECT = set(lexicon.OBJECT_NOUNS) | {w + "s" for w in lexicon.OBJECT_NOUNS if w.isalpha()}
# Words that end the head of a noun phrase after an age: "a 15-year-old in a whisky bar".
_PHRASE_END = {
    "in", "on", "at", "with", "from", "by", "for", "of", "and", "or", "but", "who", "that", "which", "wearing",
    "is", "was", "are", "were", "has", "had", "to", "into", "near", "under", "over", "while", "as", "like", "than",
}  # fmt: skip
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_HARD_STOP = re.compile(r"[.;!?\n()\[\]]")


def _norm_word(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


def head_after(text: str, pos: int, *, words: int = 3) -> str | None:
    """ "person", "object" or None: the noun right after ``pos`` (adjectives skipped, stopping at
    punctuation and at words that end a noun phrase)."""
    rest = text[pos : pos + 80]
    last = 0
    for seen, match in enumerate(_WORD.finditer(rest), start=1):
        if re.search(r"[,;:.!?()\[\]\n]", rest[last : match.start()]):
            return None
        last = match.end()
        word = _norm_word(match.group(0))
        two = word + " " + _norm_word(next(_WORD.finditer(rest, match.end()), match).group(0))
        if two in _OBJECT:
            return "object"
        if word in _PERSON:
            return "person"
        if word in _OBJECT:
            return "object"
        if word in _PHRASE_END:
            return None
        if seen >= words:
            return None
    return None


def subject_before(text: str, pos: int, *, words: int = 8) -> str | None:
    """ "person", "object" or None: what the words before ``pos`` in the same sentence are about
    ("this scotch is", "the shop just turned", "a malt, aged"). A person anywhere in the sentence
    wins over a thing, so "a girl in a car, aged 15" is about the girl."""
    before = text[max(0, pos - 120) : pos]
    cut = max((m.end() for m in _HARD_STOP.finditer(before)), default=0)
    found = None
    for match in list(_WORD.finditer(before[cut:]))[-words:]:
        word = _norm_word(match.group(0))
        if word in _PERSON:
            return "person"
        if word in _OBJECT:
            found = "object"
    return found


def _followed_by(text: str, pos: int, pattern: str) -> bool:
    return re.match(rf"\s*(?:{pattern})(?![a-z0-9])", text[pos:]) is not None


_NON_AGE = lexicon.alternation(lexicon.NON_AGE_UNITS)
_NON_AGE_AFTER = rf"[\s-]*(?:{_NON_AGE})(?![a-z])(?![\s-]*old)"
_STAFF = lexicon.alternation(lexicon.SCHOOL_STAFF)
_NEGATION_BEFORE = re.compile(
    r"(?:\bno|\bnot(?:\s+(?:a|an|for|suitable\s+for|intended\s+for|meant\s+for))?|\bwithout|\bfree\s+of|\bnon|\bzero|"
    r"\bbanned|\bforbidden|\bprohibited|\bno\s+entry\s+(?:for|to)|\bnobody|\bno\s*one|\bnone)"
    r"[\s-]+(?:(?:little|young|small|other|more|other|unaccompanied|kids|children|or)[\s-]+)*$"
)
_POLICY_AFTER = re.compile(
    r"^(?:[\s-]*free\b|\s*(?:are\s+|is\s+)?(?:not|never)\s+(?:allowed|permitted|admitted|welcome|admissible)\b|"
    r"\s*(?:are\s+|is\s+)?(?:prohibited|forbidden|banned|excluded)\b|\s*-?\s*allowed\s*:\s*no\b)"
)


def _negated(text: str, start: int, end: int) -> bool:
    """A venue or age policy that keeps minors out: "no kids", "children not allowed", "kid-free"."""
    return bool(_NEGATION_BEFORE.search(text[max(0, start - 60) : start]) or _POLICY_AFTER.match(text[end : end + 40]))


# --- Ages ------------------------------------------------------------------------------------------

_NUM = r"(?<![\d.,])(\d{1,3})(?:[.,]\d+)?(?!\d)"
_RANGE = rf"{_NUM}(?:\s*(?:-|to|or|and|/)\s*(\d{{1,3}})(?!\d))?"
_YEARS_OLD = (
    r"(?:y\s*/\s*o|y\s*\.?\s*o\b\.?|yoa\b|yrs?\.?[\s-]*olds?|years?[\s-]*olds?|years?\s+of\s+age|years?\s+young|"
    r"summers?\s+old|winters?\s+old)"
)
_SHORT_OLD = r"(?:months?|mos?|weeks?|wks?|days?)[\s-]*olds?"
_AGE_WITH_UNIT = re.compile(rf"{_RANGE}(?:\s+and\s+a\s+half)?[\s-]*(?:(?P<years>{_YEARS_OLD})|(?P<short>{_SHORT_OLD}))")
_AGED = re.compile(
    r"\b(?:aged?|ages)\b\s*(?:[:=]|-|\s)\s*(?:of\s+|about\s+|around\s+|roughly\s+|approx\.?\s+|approximately\s+|only\s+|"
    rf"just\s+|barely\s+|between\s+|maybe\s+)?{_RANGE}"
)
_SUBJECT_IS = re.compile(
    r"\b(?:i\s+am|i'm|im|i\s+was|she\s+is|she's|shes|she\s+was|he\s+is|he's|hes|he\s+was|they\s+are|they're|"
    r"they\s+were|who\s+is|who's|who\s+was|who\s+are|(?:is|was|are|were)\s+(?:only|just|barely|still|not\s+even)|"
    r"(?:just\s+)?turn(?:ed|s|ing))"
    rf"\s+(?:only\s+|just\s+|barely\s+|about\s+|around\s+|almost\s+|nearly\s+|still\s+|now\s+|maybe\s+|not\s+even\s+)?{_NUM}"
)
# "my sister is 12", "the girl was 15": a number after a verb, when the sentence is about a person.
_IS_AGE = re.compile(
    rf"\b(?:is|was|are|were)\s+(?:only\s+|just\s+|barely\s+|about\s+|around\s+|almost\s+|nearly\s+|still\s+|now\s+|both\s+|all\s+)?{_NUM}"
)
_LOOKS = re.compile(
    r"\b(?:looks?|looking|appears?|appearing|seems?|seeming|pass(?:es|ing)?\s+for|could\s+be|might\s+be)\s+"
    r"(?:like\s+)?(?:she'?s\s+|he'?s\s+|about\s+|around\s+|only\s+|barely\s+|maybe\s+|under\s+|no\s+more\s+than\s+|"
    rf"no\s+older\s+than\s+|younger\s+than\s+)?{_NUM}"
)
_YOUNGER_THAN = re.compile(
    r"\b(?:younger\s+than|below|less\s+than|not\s+yet|not\s+even|shy\s+of|under\s*-?\s*(?:the\s+age\s+of\s+)?|"
    rf"before\s+(?:she|he|they)\s+(?:was|were|turned))\s*{_NUM}(?P<plural>s)?"
)
_PERSON_STRONG = (
    r"girls?|boys?|kids?|child|children|teens?|nieces?|nephews?|daughters?|sons?|sisters?|brothers?|cousins?|lads?|"
    r"lass(?:es)?|laddies?|lassies?|youths?|"
    r"students?|pupils?|granddaughters?|grandsons?|stepdaughters?|stepsons?|goddaughters?|godsons?"
)
_PERSON_AGE = re.compile(
    rf"\b(?:(?:{_PERSON_STRONG}|twins|triplets)(?:'s)?\s*(?:[,(\[:–-]|\s|\s+of\s+)|(?:{words_pattern(lexicon.PERSON_NOUNS)})(?:'s)?\s*[,(\[:–-])"
    rf"\s*(?:(?:both|each|all|aged?|about|around|only|maybe|roughly)\s*:?\s*)?{_NUM}\s*[)\]]?"
)
_GENDER_TAG = re.compile(
    r"[(\[]\s*[fm]?\s*(\d{1,2})\s*/?\s*[fm]?\s*[)\]]|(?<![a-z0-9])(\d{1,2})\s*/\s*[fm](?![a-z])|"
    r"(?<![a-z0-9])[fm]\s*/\s*(\d{1,2})(?!\d|\.\d)|(?<![a-z0-9.])(\d{1,2})f(?![a-z0-9])"
)
# "f/16" is also a lens aperture: with photographic words near it (or a decimal, "f/1.8", which
# the tag above never matches) it isn't read as "female, 16". "f/16 girl" alone still is.
_APERTURE_CONTEXT = re.compile(
    r"\b(?:lens(?:es)?|aperture|apertures|shot\s+(?:at|on|with)|bokeh|depth[\s-]+of[\s-]+field|dof|iso\s*\d+|"
    r"shutter|exposure|camera|prime|stopped\s+down|wide\s+open|\d{2,3}\s*mm)\b"
)


def _aperture(text: str, match: re.Match) -> bool:
    """An "f/N" that photographic words around it (40 characters either side) make an f-number,
    unless it describes a person ("f/16 girl, shot at dusk" stays an age)."""
    if match.group(3) is None or text[match.start()] != "f":
        return False
    if head_after(text, match.end()) == "person" or subject_before(text, match.start(), words=2) == "person":
        return False
    return bool(_APERTURE_CONTEXT.search(text[max(0, match.start() - 40) : match.end() + 40]))


_BORN = re.compile(r"\bborn\s+(?:in\s+)?(?:the\s+year\s+)?((?:19|20)\d\d)\b")
_BIRTHDAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[\s-]+birthday\b|\bsweet\s+(1[0-7])\b")


def _ages(match: re.Match, *groups: int) -> list[int]:
    return [int(match.group(g)) for g in groups if match.group(g) is not None]


_DETERMINER = re.compile(r"\b(?:a|an|the|this|that|my|his|her|their|our|your|two|three|some|each|every|\d+)\s*$")


def _about_a_person(text: str, start: int, end: int) -> bool:
    """An age is a person's unless the noun it describes is a thing: the noun after it ("a
    12-year-old scotch"), else, unless the age stands as a noun itself ("a 15-year-old in a tutu"),
    the subject before it ("this house is 15 years old")."""
    after = head_after(text, end)
    if after is not None:
        return after == "person"
    if _DETERMINER.search(text[max(0, start - 12) : start]):
        return True
    return subject_before(text, start) != "object"


def _age_findings(text: str, today: date) -> Iterator[Finding]:
    for m in _AGE_WITH_UNIT.finditer(text):
        young = m.group("short") is not None or min(_ages(m, 1, 2)) < ADULT
        if young and _about_a_person(text, m.start(), m.end()):
            yield Finding("age", m.start(), m.end())
    for m in _AGED.finditer(text):
        if _followed_by(text, m.end(), r"months?|weeks?|days?"):
            young = True  # "aged 6 months": a baby, or a cheese
        elif _followed_by(text, m.end(), _NON_AGE_AFTER):
            continue
        else:
            young = min(_ages(m, 1, 2)) < ADULT
        if young and _about_a_person(text, m.start(), m.end()):
            yield Finding("age", m.start(), m.end())
    for pattern in (_SUBJECT_IS, _IS_AGE, _LOOKS, _PERSON_AGE):
        for m in pattern.finditer(text):
            if int(m.group(1)) >= ADULT or _followed_by(text, m.end(), _NON_AGE_AFTER):
                continue
            subject = subject_before(text, m.start()) if pattern in (_SUBJECT_IS, _IS_AGE) else None
            if subject == "object" or (pattern is _IS_AGE and subject != "person"):
                continue
            yield Finding("age", m.start(), m.end())
    for m in _YOUNGER_THAN.finditer(text):
        limit = int(m.group(1))
        if not 1 < limit <= ADULT or _followed_by(text, m.end(), _NON_AGE_AFTER) or _negated(text, m.start(), m.end()):
            continue
        if re.search(
            r"\b(?:only|allowed|admitted|permitted|welcome|entry|admission|over)\b", text[m.end() : m.end() + 30]
        ):
            continue
        yield Finding("age", m.start(), m.end())
    for m in _GENDER_TAG.finditer(text):
        if min(_ages(m, 1, 2, 3, 4)) < ADULT and not _aperture(text, m):
            yield Finding("age", m.start(), m.end())
    for m in _BORN.finditer(text):
        if 0 <= today.year - int(m.group(1)) < ADULT:
            yield Finding("age", m.start(), m.end())
    for m in _BIRTHDAY.finditer(text):
        if min(_ages(m, 1, 2)) < ADULT and subject_before(text, m.start()) != "object":
            yield Finding("age", m.start(), m.end())


# --- Schools ---------------------------------------------------------------------------------------

_SCHOOL_LEVEL = (
    r"(?:elementary|primary|middle|junior[\s-]*high|high|secondary|grade|prep|preparatory|boarding|nursery|pre)"
)
_PUPIL = r"(?:students?|pupils?|kids?|girls?|boys?|child|children|class(?:es)?|classmates?|cheerleaders?|athletes?|players?|couples?|sweethearts?|crush|freshm[ae]n|sophomores?|juniors?|seniors?|age[d]?)"
_GRADER = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[\s-]*graders?\b")
_NTH_GRADE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[\s-]*grade\b")
_GRADE_N = re.compile(r"\bgrade[\s-]*(\d{1,2})\b")
_YEAR_N = re.compile(r"\byear[\s-]*(\d{1,2})\b")
_IN_BEFORE = re.compile(
    r"(?:\b(?:is|am|are|was|were|she's|he's|i'm|still|currently|now|who's)\s+(?:still\s+|currently\s+|now\s+|only\s+)?in"
    r"|\b(?:students?|pupils?|kids?|girls?|boys?|child|children)\s+in)\s+(?:the\s+)?$"
)
_IN_GRADE_BEFORE = re.compile(r"\bin\s+(?:the\s+)?$")
_CLASS_YEAR = re.compile(
    rf"\b(?:freshm[ae]n|sophomores?|juniors?|seniors?)\b(?:\s+(?:year\s+)?(?:in|at|of|from)\s+(?:a\s+|the\s+|her\s+|his\s+)?(?:[a-z]+\s+){{0,2}}?)?\s*{_SCHOOL_LEVEL}?[\s-]*school\b"
    r"|\bhigh[\s-]*school\s+(?:freshm[ae]n|sophomores?|juniors?|seniors?)\b"
)
_SCHOOL_PERSON = re.compile(
    rf"\b(?:{_SCHOOL_LEVEL}[\s-]*school|junior[\s-]*high)[\s-]+(?:{_PUPIL}|(?:[a-z]+\s+)?(?:team|squad|club|band|choir|troupe)s?)\b"
)
_IN_SCHOOL = re.compile(
    r"\b(?:is|am|are|was|she's|he's|i'm|still|currently|who's)\s+(?:still\s+|currently\s+|only\s+)?"
    rf"(?:in|at|attends|attending|goes\s+to)\s+(?:a\s+|the\s+)?(?:{_SCHOOL_LEVEL}[\s-]*school|junior[\s-]*high)\b"
)
_SCHOOL_AGE = re.compile(
    r"\b(?:(?:elementary|primary|grade|middle|junior|high|pre)?[\s-]*school|kindergarten|nursery|toddler|infant|baby)[\s-]*aged?\b"
)
_UK_FORMS = re.compile(
    r"\b(?:6th[\s-]*form(?:ers?)?|gcse\s+(?:students?|pupils?)|a[\s-]*levels?\s+(?:students?|pupils?))\b"
    r"|\bsixth[\s-]*formers?\b"
)
_PUPILS_AT_SCHOOL = re.compile(r"\bpupils?\b")
_FORMER = re.compile(r"\b(?:former|ex|retired|one-time|onetime|old)[\s-]+$")


def _school_findings(text: str) -> Iterator[Finding]:
    for m in _GRADER.finditer(text):
        if int(m.group(1)) <= 12:
            yield Finding("school", m.start(), m.end())
    for m in _NTH_GRADE.finditer(text):
        if int(m.group(1)) > 12 or _followed_by(text, m.end(), _STAFF):
            continue
        class_of_staff = _followed_by(text, m.end(), r"class(?:es|room)?") and re.search(
            rf"\b(?:{_STAFF})\b", text[max(0, m.start() - 80) : m.start()]
        )
        if class_of_staff:
            yield Finding("school", m.start(), m.end(), certain=False)
        elif _IN_GRADE_BEFORE.search(text[max(0, m.start() - 10) : m.start()]) or _followed_by(text, m.end(), _PUPIL):
            yield Finding("school", m.start(), m.end())
        else:
            yield Finding("school", m.start(), m.end(), certain=False)
    for pattern, top, in_before in ((_GRADE_N, 12, _IN_GRADE_BEFORE), (_YEAR_N, 13, _IN_BEFORE)):
        for m in pattern.finditer(text):
            if int(m.group(1)) > top or _followed_by(text, m.end(), _STAFF):
                continue
            if in_before.search(text[max(0, m.start() - 40) : m.start()]) or _followed_by(text, m.end(), _PUPIL):
                yield Finding("school", m.start(), m.end())
    for pattern in (_CLASS_YEAR, _SCHOOL_PERSON, _IN_SCHOOL, _SCHOOL_AGE, _UK_FORMS):
        for m in pattern.finditer(text):
            if _FORMER.search(text[max(0, m.start() - 20) : m.start()]) or _followed_by(text, m.end(), _STAFF):
                continue
            if pattern is _CLASS_YEAR and not re.search(r"school", m.group(0)):
                continue
            yield Finding("school", m.start(), m.end())
    for m in _PUPILS_AT_SCHOOL.finditer(text):
        around = text[max(0, m.start() - 40) : m.end() + 40]
        if re.search(r"\b(?:school|class(?:room)?|year\s*\d|grade|form|teacher)\b", around):
            yield Finding("school", m.start(), m.end())


# --- Words for minors ------------------------------------------------------------------------------

_MINOR_NOUN = re.compile(
    rf"(?<![a-z0-9'])(?:{words_pattern([*lexicon.MINOR_NOUNS, *(lexicon.SENSITIVE_WORDS - {'minor', 'minors'})])})"
    r"(?:s|es|'s|s'|')?(?![a-z0-9])"
)
_MINOR_ALONE = re.compile(
    r"\bminors\b|\b(?:a|an|the|any|this|that|female|male|underage|naked|nude|sexy|young|with)\s+minor\b"
    r"(?=\s*(?:$|[^\sa-z]|(?:who|in|on|at|with|and|or|wearing|posing|being|is|was|girl|boy|child|kid|female|male|"
    r"from|lying|sitting|standing|dressed|naked|nude|undressed|alone|herself|himself)\b))"
)
# Harmless phrases with a word for a minor in them: materials, idioms, eras, colours, titles,
# professions and places for children's things. A finding inside one of these is dropped.
_HARMLESS = [
    r"\bkid[\s-]*(?:leather|skin|suede|gloves?|mohair|boots?|shoes?|pumps?|hide|lining|slippers?|goats?|wool|cashmere)\b",
    r"\b(?:i|we|you|they|he|she)\s+(?:(?:would|do|did|will|can|could)(?:\s*n'?t|\s+not)?\s+|don'?t\s+|'d\s+)?kid\s+(?:you|ya|u|anyone|around|myself)\b",
    r"\bkid\s+you\s+not\b",
    r"\b(?:the\s+)?karate\s+kid\b|\bbilly\s+the\s+kid\b|\bcomeback\s+kid\b|\bnew\s+kid\s+on\s+the\s+block\b",
    r"\bkid\s+(?:rock|cudi|creole|ory|icarus|a\s+cudi)\b",
    r"\bchild(?:'s|s)?[\s-]+play\b",
    r"\bchild[\s-]*(?:proof(?:ed|ing)?|minding)\b|\bchild[\s-]+care\b",
    r"\b(?:inner|flower|love|poster|wild|problem|middle|only)\s+child(?:ren)?\b",
    r"\bwith\s+child\b",
    r"\b(?:former|ex)[\s-]+child\s+(?:actor|actress|star|prodigy|model)s?\b",
    r"\bchildren\s+of\s+(?:men|the\s+corn)\b",
    r"\b(?:child|children|kid|kids)(?:'s|s'|')?[\s-]+(?:psycholog\w*|psychiatr\w*|protection|welfare|safeguarding|"
    r"rights|benefits?|support|development|labou?r\s+laws?|poverty|services|advocate\w*|charit(?:y|ies)|eat\s+free)\b",
    r"\bteenage\s+mutant\s+ninja\s+turtles?\b",
    r"\bteen\s+(?:titans|wolf|vogue|spirit|choice(?:\s+awards?)?)\b",
    r"\bteen(?:s|age)?\s+years\s+of\s+(?:the|this|that|a)\s+(?:\d+(?:st|nd|rd|th)\s+)?(?:century|decade|millenni?um)\b",
    r"\b(?:\d{2}|the)[\s-]*teens\s+of\s+(?:the\s+)?(?:\d+(?:st|nd|rd|th)\s+|last\s+|this\s+|previous\s+)?century\b",
    r"\b(?:19|20)[\s-]*teens\b",
    r"\bbaby[\s-]*(?:blue|pink|yellow|green|lilac|powder(?:\s+blue)?|'?s[\s-]*breath|breath|oil|shower|showers|"
    r"bump|doll|dolls|hairs?|spinach|carrots?|kale|corn|potato(?:es)?|back\s+ribs|grand|boomers?|boom|steps?|"
    r"monitor|food|bottles?|wipes|lotion|gate|shark|yoda|bel|driver|bok\s+choy|octopus|squid|"
    r"animals?|elephants?|goats?|deer|birds?|chicks?|dragons?|dinosaurs?|turtles?|seals?|bears?|fox(?:es)?|"
    r"lions?|tigers?|owls?|penguins?|ducks?|bunny|bunnies|rabbits?|cats?|dogs?|otters?|pandas?|sloths?|koalas?|"
    r"whales?|sharks?|giraffes?|hippos?|monkeys?|swans?|geese|goose|lambs?)\b",
    r"\b(?:hey|oh|yeah|come\s+on)\s*,?\s*baby\b",
    r"\binfant\s+(?:formula|mortality)\b",
    r"\badolescent\s+(?:psychology|psychiatry|medicine|health|development|literature)\b",
    r"\blittle\s+1[\s-]*(?:piece|shoulder|strap|button|sided|off)\b",
    r"\btater\s+tots?\b",
    # Behaving like a child is something adults do: "smiles like a kid in a candy store".
    r"\b(?:smil|laugh|grin|giggl|act|behav|play|feel|felt|excit|happ|gidd|squeal|jump|danc|cr(?:y|ied)|sulk|pout|beam)"
    r"\w*\s+(?:like|as)\s+(?:a\s+)?(?:little\s+|young\s+|small\s+)?(?:kid|child|kids|children|teenager|teen|"
    r"schoolgirl|schoolboy|toddler)s?\b(?:\s+(?:in|at)\s+a\s+(?:candy|sweet|toy)\s+(?:store|shop))?",
    r"\bthe\s+kid\s+stays\s+in\s+the\s+picture\b",
    # Musical keys: "a song in A minor", "Symphony No. 5 in C minor".
    r"\b(?:in|key\s+of)\s+[a-g](?:[\s-]*(?:sharp|flat|#))?[\s-]+minor\b",
    r"\b[a-g](?:[\s-]*(?:sharp|flat|#))?[\s-]+minor[\s-]+(?:key|chord|scale|symphony|sonata|concerto|prelude)s?\b",
]
_HARMLESS_RE = re.compile("|".join(f"(?:{p})" for p in _HARMLESS))


# "children's theatre", "a child's drawing", "kids' menu": a thing or place for children, unless
# what follows shows them (``lexicon.SHOWS_CHILDREN``: "children's swimwear", "a child's body").
_FOR_CHILDREN = re.compile(
    r"\b(?:child|children|kid|kids|toddler|baby|babies|infant)(?:'s|s'|')[\s-]+(?:[a-z]+[\s-]+)??([a-z]+)\b"
)
# Without the apostrophe only a known thing counts: "kids menu", but not "kids playing".
_FOR_KIDS_THING = re.compile(
    r"\b(?:kids|children|kid|child)[\s-]+(?:menus?|corner|table|section|area|room|store|shop|aisle|department|books?|"
    r"meals?|sizes?|toys?|tv|channel|shows?|movies?|films?|songs?|furniture|bikes?|bicycles?|literature|author|"
    r"illustrators?|entertainers?|hospital|museum|library|librarian|theatre|theater)\b"
)
_SHOWS = set(lexicon.SHOWS_CHILDREN) | _PERSON
_SALE = re.compile(r"^[\s-]+(?:store|shop|brand|section|rack|line|aisle|department|catalogu?e|boutique|designer)s?\b")


def harmless_spans(text: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _HARMLESS_RE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _FOR_KIDS_THING.finditer(text)]
    for m in _FOR_CHILDREN.finditer(text):
        words = re.findall(r"[a-z]+", text[m.start() : m.end()])[1:]
        if not any(w in _SHOWS for w in words) or _SALE.match(text[m.end() :]):
            spans.append((m.start(), m.end()))
    return spans


def _word_findings(text: str, harmless: list[tuple[int, int]]) -> Iterator[Finding]:
    for pattern in (_MINOR_NOUN, _MINOR_ALONE):
        for m in pattern.finditer(text):
            if any(s <= m.start() and m.end() <= e for s, e in harmless):
                continue
            if _negated(text, m.start(), m.end()):
                continue
            yield Finding("minor_word", m.start(), m.end())


_YOUTHFUL_ADULT = re.compile(rf"(?<![a-z0-9'])(?:{lexicon.alternation(lexicon.YOUTHFUL_ADULT_CONTENT)})(?![a-z0-9])")
_YOUTHFUL_ANY = re.compile(rf"(?<![a-z0-9'])(?:{lexicon.alternation(lexicon.YOUTHFUL_ANY)})(?![a-z0-9])")
_CHILDHOOD = re.compile(
    r"\bchildhood\b(?![\s-]+(?:home|house|friends?|sweethearts?|heroe?s?|dreams?|memor(?:y|ies)|town|village|"
    r"neighbou?rhood|bedroom|room|street|favou?rites?|idols?|crush(?:es)?|pets?|dogs?|cats?|homes?))"
)


def _youthful_findings(text: str, harmless: list[tuple[int, int]]) -> Iterator[Finding]:
    for pattern, adult_only in ((_YOUTHFUL_ADULT, True), (_YOUTHFUL_ANY, False), (_CHILDHOOD, False)):
        for m in pattern.finditer(text):
            if any(s <= m.start() and m.end() <= e for s, e in harmless) or _negated(text, m.start(), m.end()):
                continue
            if _followed_by(text, m.end(), _STAFF) or _FORMER.search(text[max(0, m.start() - 20) : m.start()]):
                continue
            yield Finding("youthful", m.start(), m.end(), certain=False, adult_content_only=adult_only)


def findings(text: str, *, today: date | None = None) -> list[Finding]:
    """Every finding in normalised ``text``, in the order they appear (certain before uncertain at
    the same place)."""
    today = today or date.today()
    harmless = harmless_spans(text)
    found = [
        *_age_findings(text, today),
        *_school_findings(text),
        *_word_findings(text, harmless),
        *_youthful_findings(text, harmless),
    ]
    return sorted(found, key=lambda f: (f.start, not f.certain, -(f.end - f.start)))
