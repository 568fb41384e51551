"""Notifications: tell a person that something they started has finished, in the app and by email.

``notify`` is called by domain services inside their transaction; the email goes out after the
commit (``core.emails.email_send``), so a rolled-back change never tells anyone anything.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.emails import email_send
from notifications.models import Notification
from orgs.models import Membership, Organization


def notify(
    *,
    org: Organization,
    user: User | None,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> Notification | None:
    """Tell ``user`` about ``title`` in ``org``; None (nothing sent) if they are gone or no longer a
    member. ``url`` is a path in this app the notification links to."""
    if user is None or not user.is_active:
        return None
    if not Membership.objects.filter(org=org, user=user).exists():
        return None
    notification = Notification.objects.create(
        org=org, user=user, kind=kind, title=title[:160], body=body[:500], url=url[:300]
    )
    if email and user.email:
        email_send(
            prefix="notification",
            to=[user.email],
            context={"user": user, "org": org, "notification": notification, "link": url},
        )
    return notification


@transaction.atomic
def notification_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)


@transaction.atomic
def notifications_read_all(*, org: Organization, user: User) -> int:
    """Mark every unread notification of ``user`` in ``org`` read; returns how many."""
    return Notification.objects.for_org(org).filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
