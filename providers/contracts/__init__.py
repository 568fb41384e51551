"""What each provider endpoint we call accepts and answers: one module per endpoint.

Each module in this package defines ``CONTRACT``, a ``Contract`` with the endpoint's id, a
pydantic model of the request body that forbids unknown fields (written from the provider's
published schema: required and optional fields, enums as literals), and ``sample_output``, which
builds an answer shaped like the provider's. The test emulators check every request against the
contract, so a field the provider would refuse fails in tests rather than in production; and they
answer with the sample output. Adding an endpoint is adding one module here.

Endpoint ids are the registry's: ``owner/alias[/subpath]`` on fal, ``owner/name:version`` (or
``owner/name`` for an official model) on Replicate, and ``chat/completions`` on xAI, whose model
is a setting.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError


class OutputFiles(Protocol):
    """Where a sample output's files live: the emulator serves them and returns their URLs."""

    def image(self, *, width: int, height: int, content_type: str = "image/jpeg") -> dict:
        """A new image file of that size, described as fal describes files (``url``, ``width`` …)."""
        ...

    def file(self, name: str, content: bytes, content_type: str) -> dict:
        """A new file with these bytes (``url``, ``content_type``, ``file_name``, ``file_size``)."""
        ...

    def source_size(self, url: str) -> tuple[int, int] | None:
        """The pixel size of an input image the emulator fetched, when it did."""
        ...


@dataclass(frozen=True)
class Contract:
    provider: str  # fal | replicate | xai
    endpoint_id: str
    input: type[BaseModel]
    sample_output: Callable[[dict, OutputFiles], Any]

    def errors(self, body: Any) -> list[dict]:
        """What is wrong with ``body``, as ``{"loc": [...], "msg", "type"}`` items; [] when it's valid."""
        try:
            self.input.model_validate(body)
        except ValidationError as exc:
            return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return []


@cache
def contracts() -> dict[tuple[str, str], Contract]:
    """Every contract in this package, by ``(provider, endpoint_id)``."""
    found: dict[tuple[str, str], Contract] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        contract = getattr(module, "CONTRACT", None)
        if isinstance(contract, Contract):
            key = (contract.provider, contract.endpoint_id)
            if key in found:
                raise ValueError(f"Two contracts for {key}")
            found[key] = contract
    return found


def contract_for(provider: str, endpoint_id: str) -> Contract | None:
    return contracts().get((provider, endpoint_id))


def replicate_contract(*, version: str | None = None, model: str | None = None) -> Contract | None:
    """The Replicate contract for a model version (64 hex digits), or for a model by name (Replicate
    runs an official model at its latest version; any version we have a contract for will do)."""
    for (provider, endpoint_id), contract in contracts().items():
        name, _, pinned = endpoint_id.partition(":")
        if provider == "replicate" and ((version and pinned == version) or (model and name == model)):
            return contract
    return None
