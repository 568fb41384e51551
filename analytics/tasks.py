from celery import shared_task

from analytics.services import events_prune


@shared_task(name="analytics.tasks.prune_events")
def prune_events() -> int:
    """Daily: drop events past their retention (ANALYTICS_RETENTION_DAYS)."""
    return events_prune()
