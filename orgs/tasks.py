import logging

from celery import shared_task

from orgs import services

logger = logging.getLogger(__name__)


@shared_task
def expire_stale_invitations_and_requests() -> dict:
    invitations, requests = services.expire_stale_invitations_and_requests()
    logger.info("Expired %s invitations and %s join requests", invitations, requests)
    return {"invitations": invitations, "join_requests": requests}
