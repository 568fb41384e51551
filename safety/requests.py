"""The choke point: the minors screen applied to the final request for a provider, where the
gateway sends it (``providers.gateway.call_submit``). Whatever channel built a request — the
Studio, the API, the prompt writer, an edit, the wizard, captions, a future video or style feature —
it passes here, so none can skip the screen.

What is read in a request (provider inputs are JSON):

- every string value, at any depth, except a ``negative_prompt`` (it lists what must *not* appear),
  URLs, data URIs and our file markers, and long unbroken tokens (keys, hashes);
- in chat requests, every message but the system's (our own instructions, which name what the
  model must avoid).

A request is adult content when it switches the provider's safety checker off
(``enable_safety_checker: false``); chat requests are screened as safe-for-work (their answers
are screened again, as adult content where that applies, when an image is asked for with them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from accounts.models import User
from orgs.models import Organization
from safety.screen import screen
from safety.services import refusal_record

SKIPPED_KEYS = {"negative_prompt", "role", "type", "detail", "model", "output_format", "image_size"}
_NOT_TEXT = re.compile(r"^(?:https?://|data:|storage:|s3://|gs://)|^\S{40,}$", re.IGNORECASE)


def request_texts(value: Any, *, key: str = "") -> Iterator[str]:
    """The words in a provider request that the screen reads (see the module docstring)."""
    if key in SKIPPED_KEYS:
        return
    if isinstance(value, str):
        if value.strip() and not _NOT_TEXT.match(value.strip()):
            yield value
    elif isinstance(value, dict):
        if value.get("role") == "system":
            return
        if "$asset" in value:  # one of our files, resolved to a URL at submit
            return
        for name, item in value.items():
            yield from request_texts(item, key=str(name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from request_texts(item, key=key)


def request_is_adult(arguments: dict) -> bool:
    return isinstance(arguments, dict) and arguments.get("enable_safety_checker") is False


def request_screen(
    arguments: dict, *, org: Organization | None, user: User | None, where: str, reference: str = ""
) -> str:
    """'' when the request may go out, else why not (and the refusal is recorded). The LLM
    moderator, when one is configured, is asked about what the rules can't decide."""
    nsfw = request_is_adult(arguments)
    decision = screen(
        list(request_texts(arguments)), nsfw=nsfw, moderate=True, org_id=org.pk if org is not None else None
    )
    if not decision.refused:
        return ""
    refusal_record(decision=decision, org=org, user=user, where=where, nsfw=nsfw, reference=reference)
    return decision.message()
