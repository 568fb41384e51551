"""Notifications: tell a person that something they started has finished, in the app and, if they
want it for that kind (``NotificationPreference``), by email.

``notify`` is called by domain services inside their transaction (the job engine calls it for
every kind of job once the job's end is committed); the email goes out after the commit
(``core.emails.email_send``), so a rolled-back change never tells anyone anything.

Similar events close together are grouped: a notification with a ``group`` (its key and the words
for several, e.g. ``"{count} image edits ready"``) is counted into the person's unread one of the
same group from the last ``NOTIFICATION_GROUP_MINUTES``, instead of adding another; only the first
of a group is emailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.emails import email_send
from notifications import kinds
from notifications.models import Notification, NotificationPreference
from orgs.models import Membership, Organization


@dataclass(frozen=True)
class Group:
    """How similar notifications add up: ``key`` (same key, same group), ``title`` with ``{count}``
    for several, and ``url`` for the lot (the job centre filtered to them)."""

    key: str
    title: str
    url: str = ""


def email_wanted(user: User, kind: str) -> bool:
    """Whether ``user`` gets notifications of ``kind`` by email: their choice, else the kind's default."""
    chosen = NotificationPreference.objects.filter(user=user, kind=kind).values_list("email", flat=True).first()
    if chosen is not None:
        return chosen
    registered = kinds.kind_get(kind)
    return registered.email_default if registered is not None else True


def notify(
    *,
    org: Organization,
    user: User | None,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
    group: Group | None = None,
) -> Notification | None:
    """Tell ``user`` about ``title`` in ``org``; None (nothing sent) if they are gone or no longer a
    member. ``url`` is a path in this app the notification links to. ``email``: False when the
    caller sends its own; otherwise it goes if the person wants this ``kind`` by email."""
    if user is None or not user.is_active:
        return None
    if not Membership.objects.filter(org=org, user=user).exists():
        return None
    if group is not None and (grouped := _group_add(org, user, group)) is not None:
        return grouped
    notification = Notification.objects.create(
        org=org,
        user=user,
        kind=kind,
        title=title[:160],
        body=body[:500],
        url=url[:300],
        group_key=group.key[:80] if group else "",
    )
    if email and user.email and email_wanted(user, kind):
        email_send(
            prefix="notification",
            to=[user.email],
            context={
                "user": user,
                "org": org,
                "notification": notification,
                "link": url,
                "preferences": reverse("notifications:preferences", args=[org.slug]),
            },
        )
    return notification


@transaction.atomic  # notify runs after a job's commit too, in autocommit: the row lock needs its own
def _group_add(org: Organization, user: User, group: Group) -> Notification | None:
    """Count one more event into the person's recent unread notification of ``group``, if there is one."""
    since = timezone.now() - timedelta(minutes=settings.NOTIFICATION_GROUP_MINUTES)
    current = (
        Notification.objects.select_for_update()
        .filter(org=org, user=user, group_key=group.key, read_at__isnull=True, updated_at__gte=since)
        .order_by("-updated_at")
        .first()
    )
    if current is None:
        return None
    current.count += 1
    current.title = group.title.format(count=current.count)[:160]
    current.body = ""
    current.url = (group.url or current.url)[:300]
    Notification.objects.filter(pk=current.pk).update(
        count=F("count") + 1, title=current.title, body="", url=current.url, updated_at=timezone.now()
    )
    return current


@transaction.atomic
def notification_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)


@transaction.atomic
def notifications_read_all(*, org: Organization, user: User) -> int:
    """Mark every unread notification of ``user`` in ``org`` read; returns how many."""
    return Notification.objects.for_org(org).filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preferences_set(*, user: User, email: dict[str, bool]) -> None:
    """Record ``user``'s choice, by kind, of what is also emailed to them. Unknown kinds are ignored."""
    for key, wanted in email.items():
        if kinds.kind_get(key) is None:
            continue
        NotificationPreference.objects.update_or_create(user=user, kind=key, defaults={"email": wanted})


def email_recipients_filter(prefix: str, to: list[str]) -> list[str]:
    """For ``core.emails``: leave out of a low-credit email the people who turned it off."""
    if prefix != "billing_low_credit":
        return to
    off = set(
        NotificationPreference.objects.filter(kind=kinds.LOW_CREDITS, email=False, user__email__in=to).values_list(
            "user__email", flat=True
        )
    )
    return [address for address in to if address not in off]
