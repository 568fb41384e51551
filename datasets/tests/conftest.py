"""Dataset builder tests: their own MEDIA_ROOT, the demo provider at zero latency, and helpers to
make a build with real face photos (person A) and generated body photos (person B's head)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from datasets import bodies, services

_names = itertools.count()


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider):
    """Every test: its own MEDIA_ROOT and the demo provider at zero latency."""


@pytest.fixture(autouse=True)
def _fewer_targets(monkeypatch):
    """dlib is the slow part: pipeline tests run 4 body photos (the minimum lowered to 4); a test
    that checks the real limits asks for ``full_limits``."""
    from datasets import rules

    monkeypatch.setattr(rules, "MIN_TARGETS", 4)


@pytest.fixture
def full_limits(monkeypatch):
    from datasets import rules

    monkeypatch.setattr(rules, "MIN_TARGETS", 10)


@pytest.fixture
def org_studio(org):
    """The org on a plan with room for characters."""
    from billing.models import Plan

    plan = Plan.objects.filter(max_characters__isnull=True).first() or Plan.objects.order_by("-max_characters").first()
    org.plan = plan
    org.save(update_fields=["plan"])
    return org


@pytest.fixture
def add(tmp_path):
    """``add(build, "source" | "target", data, name=None)``: one photo through the real service."""

    def adder(build, role, data: bytes, name: str | None = None, user=None):
        name = name or f"{role}-{next(_names)}.jpg"
        path = Path(tmp_path) / name
        path.write_bytes(data)
        fn = services.source_add if role == "source" else services.target_add
        return fn(build=build, user=user or build.created_by, path=path, filename=name)

    return adder


@pytest.fixture
def make_build(org_studio, people, add):
    """``make_build(sources=3, targets=10)``: a build by ``people.member`` with real photos."""

    def make(sources: int = 3, targets: int = 4, name: str = "Jade Moreau"):
        build = services.build_create(org=org_studio, user=people.member, name=name, gender="male", ip="203.0.113.9")
        for index in range(sources):
            add(build, "source", bodies.source_photo(index))
        for index in range(targets):
            add(build, "target", bodies.body_photo(index))
        return build

    return make
