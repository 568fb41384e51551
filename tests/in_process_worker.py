"""A real Celery worker in a thread of the test process, for the tests where queueing is what's
tested.

Celery's worker setup takes over the root logger: it replaces its handlers and sets its level to the
worker's (``error`` in ``start_worker``). Left like that, warnings from loggers without a level of
their own (``personae.csp``, the apps' ``__name__`` loggers) are dropped, in this test and every
later one. The root logger is put back as soon as the worker has started, and again when it stops.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery
from celery.contrib.testing.worker import start_worker


@contextmanager
def in_process_worker(app: Celery, **options: Any) -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]

    def restore() -> None:
        root.setLevel(level)
        root.handlers[:] = handlers

    options = {"pool": "solo", "perform_ping_check": False, "shutdown_timeout": 20, **options}
    try:
        with start_worker(app, **options):
            restore()
            yield
    finally:
        restore()
