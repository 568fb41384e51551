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


@shared_task(bind=True, max_retries=10, acks_late=True)
def process_stripe_webhook(self, pk: int) -> bool:
    """Process one Stripe webhook delivery (dj-stripe's sync and our receivers); retried with backoff.

    The webhook already answered Stripe; this is where an error waits and tries again.
    """
    from billing import stripe_webhooks

    try:
        return stripe_webhooks.process_trigger(pk)
    except Exception as error:
        raise self.retry(exc=error, countdown=min(2 ** (self.request.retries + 1), 300)) from error


@shared_task
def sweep_stripe_webhooks() -> int:
    """Re-queue Stripe webhook deliveries whose processing task was lost (a worker killed mid-way)."""
    from billing import stripe_webhooks

    return stripe_webhooks.sweep()
