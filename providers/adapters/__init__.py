"""Adapters by provider name. Each is built on demand, so a test can swap settings or transports."""

from __future__ import annotations

from providers.adapters.base import Adapter


def get_adapter(name: str) -> Adapter:
    if name == "fal":
        from providers.adapters.fal import FalAdapter

        return FalAdapter()
    if name == "replicate":
        from providers.adapters.replicate import ReplicateAdapter

        return ReplicateAdapter()
    if name == "xai":
        from providers.adapters.xai import XaiAdapter

        return XaiAdapter()
    if name == "demo":
        from providers.adapters.demo import DemoAdapter

        return DemoAdapter()
    raise KeyError(f"No provider called {name!r}")
