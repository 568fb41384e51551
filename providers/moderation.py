"""The LLM moderator the minors screen asks about what its rules can't decide (``safety.screen``):
"girl" in adult content, "high school", "teen years". It is registered at start-up
(``ProvidersConfig.ready``) because ``safety`` sits below ``providers`` and can't import it.

One short chat completion with xAI (``XAI_API_KEY``), made synchronously from where the gateway
submits a call (a worker); it is recorded as a ``ProviderCall`` of operation ``moderation`` so its
cost shows up with the rest. Without an xAI key there is no moderator (``available`` is False).
Any error or unreadable answer raises ``ModerationUnavailable``: the screen then fails closed for
adult content.
"""

from __future__ import annotations

import json
import logging
import re

from django.utils import timezone

from providers import handlers, prices, registry
from providers.adapters import get_adapter
from providers.adapters.base import ProviderError
from providers.models import ProviderCall
from safety.screen import Moderation, ModerationUnavailable

log = logging.getLogger(__name__)

OPERATION = "moderation"
SYSTEM = (
    "You are the safety check of an image generator whose every person must be an adult (18 or older). "
    "Read the request and decide whether it describes, depicts or implies a person under 18: a child, a "
    "teenager under 18, a pupil at school, someone described by a young age or by childlike features. "
    "Wording about adults, things, places, idioms, eras, colours or titles is fine. "
    'Answer with JSON only: {"minor": true or false, "reason": "at most ten words"}.'
)


def available() -> bool:
    return registry.provider_configured("xai")


def request(text: str, *, nsfw: bool) -> dict:
    kind = "adult (NSFW) content" if nsfw else "safe-for-work content"
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"The request is for {kind}. Request:\n<<<\n{text[:4000]}\n>>>"},
        ],
        "temperature": 0,
        "max_tokens": 60,
    }


def parse(text: str) -> Moderation:
    """The moderator's JSON answer; ``ModerationUnavailable`` when there is none."""
    found = re.search(r"\{.*\}", text or "", flags=re.DOTALL)
    try:
        data = json.loads(found.group(0)) if found else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("minor"), bool):
        raise ModerationUnavailable("the moderator's answer wasn't the JSON asked for")
    return Moderation(minor=data["minor"], reason=str(data.get("reason") or "")[:200])


def moderate(text: str, *, nsfw: bool, org_id: int | None = None) -> Moderation:
    """Ask the LLM whether ``text`` describes someone under 18. Raises ``ModerationUnavailable``."""
    if not available():
        raise ModerationUnavailable("no LLM provider is configured")
    provider, endpoint_id = registry.resolve(OPERATION)
    arguments = request(text, nsfw=nsfw)
    now = timezone.now()
    call = ProviderCall(
        org_id=org_id,
        operation=OPERATION,
        provider=provider,
        endpoint_id=endpoint_id,
        input=arguments,
        handler=CALL_HANDLER.name,
        attempts=1,
        sent_at=now,
        submitted_at=now,
    )
    try:
        submitted = get_adapter(provider).submit(endpoint_id=endpoint_id, arguments=arguments, webhook_url=None)
        status = submitted.immediate
        if status is None or status.state != "succeeded":
            raise ProviderError("The moderator gave no answer.")
        answer = parse(str((status.output or {}).get("text") or ""))
    except (ProviderError, ModerationUnavailable) as exc:
        message = getattr(exc, "message", None) or str(exc)
        _record(call, status=ProviderCall.Status.FAILED, output=None, error=message)
        raise ModerationUnavailable(message) from exc
    _record(call, status=ProviderCall.Status.SUCCEEDED, output=status.output, request_id=submitted.request_id)
    return answer


def _record(call: ProviderCall, *, status: str, output: dict | None, error: str = "", request_id: str = "") -> None:
    now = timezone.now()
    cost = prices.call_cost(
        provider=call.provider, endpoint_id=call.endpoint_id, input=call.input, state=status, output=output
    )
    call.status = status
    call.output = output
    call.error = error[:2000]
    call.request_id = request_id or None
    call.finished_at = call.handled_at = now
    for name, value in cost.fields().items():
        setattr(call, name, value)
    call.save()


def _settled(call: ProviderCall, event: handlers.Event, *, last_attempt: bool) -> None:
    """Nothing to settle: the answer was read when it came (the call is recorded finished)."""


CALL_HANDLER = handlers.register("providers.moderation", _settled)
