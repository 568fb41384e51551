"""Beat tasks for the credits ledger. Both are safe to run twice at once or to retry."""

import logging

from celery import shared_task

from billing import services

logger = logging.getLogger(__name__)


@shared_task
def release_expired_holds() -> int:
    """Give back the credits of jobs whose hold expired without a capture or release."""
    released = services.holds_release_expired()
    if released:
        logger.warning("Released %s expired credit hold(s)", released)
    return released


@shared_task
def check_ledger() -> list[str]:
    """Nightly: the cached balances must agree with the ledger. Problems are logged as errors."""
    problems = services.ledger_problems()
    for problem in problems:
        logger.error("Credits ledger: %s", problem)
    if not problems:
        logger.info("Credits ledger: every account agrees with its entries")
    return problems
