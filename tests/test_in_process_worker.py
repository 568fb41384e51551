"""The in-process Celery worker leaves logging as it found it."""

import logging

import pytest

from config.celery import app
from tests.in_process_worker import in_process_worker


@pytest.mark.django_db(transaction=True)
def test_a_worker_does_not_silence_warnings_of_later_code(django_db_blocker, caplog):
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    app.conf.task_always_eager = False
    try:
        with django_db_blocker.unblock(), in_process_worker(app):
            logging.getLogger("personae.test").warning("while the worker runs")
    finally:
        app.conf.task_always_eager = True
    logging.getLogger("personae.test").warning("after the worker stopped")

    assert (root.level, root.handlers) == (level, handlers)
    assert [r.getMessage() for r in caplog.records if r.name == "personae.test"] == [
        "while the worker runs",
        "after the worker stopped",
    ]
