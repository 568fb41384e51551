from celery import shared_task

from licensing import payouts


@shared_task
def royalty_payouts() -> int:
    """Beat: pay last month's royalty balances and retry failed transfers (idempotent)."""
    return payouts.payouts_run()
