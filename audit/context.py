"""Where the current action comes from: the request being served, if any.

``AuditContextMiddleware`` sets it for each request, so services deep below a view record the
caller's address and browser without every signature carrying the request. Celery tasks and
management commands have none: their entries are the system's, with no address.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Origin:
    ip: str | None
    user_agent: str
    user: Any = None  # the signed-in user, when there is one
    staff_area: bool = False  # the request is in the support admin


_current: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def current() -> Origin | None:
    return _current.get()


def set_current(origin: Origin | None):
    """Set the origin; returns the token ``reset`` takes."""
    return _current.set(origin)


def reset(token) -> None:
    _current.reset(token)
