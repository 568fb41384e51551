"""Who settles a provider call: the way back from a provider to the domain job that asked.

Each job kind registers one handler under a stable name when its module is imported
(``CALL_HANDLER = handlers.register("generation.upscale", upscale_on_call)``) and passes the
returned ``CallHandler`` to ``gateway.call_create``. The call row stores the name; the gateway
dispatches through this registry, so the path from provider to domain is an import, visible to
readers and type checkers, not a dotted string resolved at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from core import placement

if TYPE_CHECKING:
    from providers.models import ProviderCall

Event = Literal["running", "finished"]


class HandlerFunction(Protocol):
    def __call__(self, call: ProviderCall, event: Event, *, last_attempt: bool) -> None: ...


@dataclass(frozen=True)
class CallHandler:
    """A named handler, called ``function(call, event, last_attempt=…)`` with event ``"running"`` or
    ``"finished"``; it must be idempotent (a worker may die half-way and the task run again)."""

    name: str
    function: HandlerFunction

    def __call__(self, call: ProviderCall, event: Event, *, last_attempt: bool) -> None:
        self.function(call, event, last_attempt=last_attempt)


_HANDLERS: dict[str, CallHandler] = {}


class UnknownHandler(LookupError):
    pass


def register(name: str, function: HandlerFunction) -> CallHandler:
    """Register ``function`` as the handler called ``name``. Registering a name twice with another
    function is a programming error."""
    handler = CallHandler(name, function)
    existing = _HANDLERS.get(name)
    if existing is not None and existing.function is not function:
        raise ValueError(f"A provider-call handler named {name!r} is already registered.")
    _HANDLERS[name] = handler
    return handler


def get(name: str) -> CallHandler:
    try:
        return _HANDLERS[name]
    except KeyError:
        raise UnknownHandler(f"No provider-call handler is registered as {name!r}.") from None


def dispatch(call: ProviderCall, event: Event, *, last_attempt: bool) -> None:
    # What the handler makes or starts goes where the call's job was meant to go (core.placement).
    with placement.working_for(call):
        get(call.handler)(call, event, last_attempt=last_attempt)
