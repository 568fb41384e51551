"""The words the screen knows, in lower case as ``safety.normalise`` leaves text: words for minors,
people, things that have ages (whisky, houses), units that make a number something other than an
age, and number words. Each list is about meaning, not about examples: a new synonym goes in its
list and every rule that reads the list knows it.
"""

from safety.lexicon.ages import NON_AGE_UNITS, OBJECT_NOUNS, PERSON_NOUNS, SCHOOL_STAFF
from safety.lexicon.minors import (
    MINOR_NOUNS,
    SENSITIVE_WORDS,
    SHOWS_CHILDREN,
    YOUTHFUL_ADULT_CONTENT,
    YOUTHFUL_ANY,
    split_on_sensitive,
)
from safety.lexicon.numbers import NUMBER_WORDS
from safety.lexicon.patterns import alternation, words_pattern

__all__ = [
    "MINOR_NOUNS",
    "NON_AGE_UNITS",
    "NUMBER_WORDS",
    "OBJECT_NOUNS",
    "PERSON_NOUNS",
    "SCHOOL_STAFF",
    "SENSITIVE_WORDS",
    "SHOWS_CHILDREN",
    "YOUTHFUL_ADULT_CONTENT",
    "YOUTHFUL_ANY",
    "alternation",
    "split_on_sensitive",
    "words_pattern",
]
