"""Inputs that point at our own files, resolved when a call is submitted.

A job stores its call's input with markers instead of URLs — ``{"$asset": public_id, "variant":
"preview"}`` for a library item, ``{"$key": storage_key}`` for another file of the org's (a
training zip, a LoRA, a mask) — because signed URLs expire and a retry needs fresh ones. The
provider layer does not know what an asset is: the layer above registers one resolver per marker
(``jobs.inputs``), and the gateway asks it at every submit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.models import ProviderCall

# resolver(call, marker) -> what the provider reads: a URL, a data URI, or "storage:<key>" for demo.
Resolver = Callable[["ProviderCall", dict], str]

_RESOLVERS: dict[str, Resolver] = {}


def register(marker: str, resolver: Resolver) -> None:
    _RESOLVERS[marker] = resolver


def resolve(call: ProviderCall, value: Any) -> Any:
    """``value`` with every registered marker replaced by what its resolver returns."""
    if isinstance(value, dict):
        for marker, resolver in _RESOLVERS.items():
            if marker in value:
                return resolver(call, value)
        return {k: resolve(call, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(call, v) for v in value]
    return value
