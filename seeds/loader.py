"""The demo workspace's feature seeds: every module ``seeds/<feature>.py`` with a
``seed(org, user) -> None`` function, called in a fixed order by ``manage.py seed_demo``.

A feature adds its sample data by dropping such a module in this folder; nothing else needs
editing. ``ORDER`` names the modules that must run first (the workspace's sample characters and
pack, which later seeds build on); any other module runs after them, in name order. Every ``seed``
must be idempotent: ``make run`` calls them each time it starts.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable
from types import ModuleType

import seeds

ORDER = ["workspace", "datasets", "projects", "tools"]


def seed_modules() -> list[ModuleType]:
    """The modules in ``seeds/`` that define ``seed``, in the order they run."""
    names = [info.name for info in pkgutil.iter_modules(seeds.__path__) if not info.ispkg]
    ordered = [n for n in ORDER if n in names] + sorted(n for n in names if n not in ORDER)
    modules = [importlib.import_module(f"seeds.{name}") for name in ordered]
    return [module for module in modules if callable(getattr(module, "seed", None))]


def seed_all(org, user, *, report: Callable[[str], None] = lambda line: None) -> None:
    """Run every feature seed for ``org`` (as ``user``), reporting how long each took."""
    for module in seed_modules():
        started = time.monotonic()
        module.seed(org, user)
        report(f"seeded {module.__name__.removeprefix('seeds.')} in {time.monotonic() - started:.1f} s")
