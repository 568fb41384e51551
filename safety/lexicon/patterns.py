"""Regex helpers the word lists are turned into patterns with."""

from __future__ import annotations

import re


def alternation(words) -> str:
    """A regex alternation of ``words`` (which may hold regex), longest first."""
    return "|".join(sorted(set(words), key=len, reverse=True))


def words_pattern(words) -> str:
    """A regex alternation of literal ``words``; a space in a word matches any run of spaces or a hyphen."""
    return alternation(re.escape(w).replace(r"\ ", r"[\s-]+") for w in words)
