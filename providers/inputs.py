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

from providers.adapters.base import ProviderError

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
        if unknown := [k for k in value if k.startswith("$")]:
            # Fail closed: a marker nobody resolves must not reach a provider as it is.
            raise ProviderError(f"No resolver is registered for the input marker {unknown[0]!r}.")
        return {k: resolve(call, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(call, v) for v in value]
    return value
