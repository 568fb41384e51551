"""Reads for notifications: always one person's, in one organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from notifications.models import Notification
from orgs.models import Organization


def notifications_for(org: Organization, user: User) -> QuerySet[Notification]:
    return Notification.objects.for_org(org).filter(user=user)


def notification_get(org: Organization, user: User, public_id) -> Notification | None:
    """The same None for someone else's notification as for one that doesn't exist."""
    return notifications_for(org, user).filter(public_id=public_id).first()


def unread_count(org: Organization, user: User) -> int:
    return notifications_for(org, user).filter(read_at__isnull=True).count()
