"""Writing the audit log: ``record`` one action; ``audit_purge`` entries past their retention.

Services call ``record`` inside their own transaction, so an action that rolls back leaves no
entry, and one that commits always has its entry (the Zulip way: the audit row is part of the
action). Where the request came from is taken from ``audit.context`` unless given.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit import context
from audit.models import AuditEntry
from core import network

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

USER_AGENT_MAX = 300


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from: the client's, behind the trusted proxies
    (``TRUSTED_PROXY_COUNT`` / ``TRUSTED_CLIENT_IP_HEADER``, core.network)."""
    return network.client_ip(request)


def origin_from_request(request: HttpRequest, *, staff_area: bool = False) -> context.Origin:
    user = getattr(request, "user", None)
    return context.Origin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
        user=user if user is not None and user.is_authenticated else None,
        staff_area=staff_area,
    )


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as JSON stores it: UUIDs, dates and decimals become strings."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def record(
    *,
    action: str,
    summary: str,
    org: Any = None,
    actor: User | None = None,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    data: dict[str, Any] | None = None,
    by_staff: bool | None = None,
    system: bool = False,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` (a code from ``audit.actions``) in ``org``.

    ``summary`` is the sentence people read ("Maya made Leo an admin"). ``target`` is the object
    acted on (its model name and ``public_id``, else pk, are stored), or give ``target_type`` and
    ``target_id``. ``data`` holds the details (JSON). Where from: ``request`` if given, else the
    request being served (``audit.context``); none in a task. The actor defaults to the signed-in
    user of that request; ``system=True`` records Personae itself (a beat task). ``by_staff``
    marks support's actions; by default, anything done from the support admin is.
    """
    origin = origin_from_request(request) if request is not None else context.current()
    if system:
        actor = None
    elif actor is None and origin is not None:
        actor = origin.user
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(getattr(target, "public_id", None) or target.pk)
    if system or actor is None:
        kind = AuditEntry.ActorKind.SYSTEM
    elif by_staff or (by_staff is None and origin is not None and origin.staff_area):
        kind = AuditEntry.ActorKind.STAFF
    else:
        kind = AuditEntry.ActorKind.USER
    entry = AuditEntry(
        org_id=getattr(org, "pk", None),
        org_name=(getattr(org, "name", "") or "")[:80],
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        actor_kind=kind,
        action=action,
        summary=summary[:300],
        target_type=target_type[:40],
        target_id=str(target_id)[:64],
        data=_json_safe(data or {}),
        ip=origin.ip if origin else None,
        user_agent=origin.user_agent if origin else "",
    )
    entry.save()
    return entry


@transaction.atomic
def audit_purge(*, now=None) -> int:
    """Delete entries older than ``AUDIT_LOG_RETENTION_DAYS``: the one DELETE the database's
    append-only trigger lets through (it checks ``personae.audit_purge`` for this transaction).
    Idempotent: run again, it finds nothing more to delete."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.AUDIT_LOG_RETENTION_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL personae.audit_purge = 'on'")
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE created_at < %s", [cutoff])  # noqa: S608
        deleted = cursor.rowcount
        cursor.execute("SET LOCAL personae.audit_purge = 'off'")
    if deleted:
        log.info("Audit log: purged %s entries older than %s", deleted, cutoff.date())
    return deleted
