"""API keys: make one (shown once), recognise one, revoke one.

The key is ``<API_KEY_PREFIX><key id>_<secret><checksum>``: the prefix makes a leaked key easy
for secret scanners to find, the 6-character checksum lets them (and us) reject a random string
without a database look-up. Only the key id and an HMAC-SHA256 of the secret (peppered with
``API_KEY_PEPPER``) are stored; reliability.md §5.3.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from api.models import ApiKey, Scope
from audit import actions
from audit.services import record
from core.exceptions import DomainError
from orgs.models import Organization, Role

ALPHABET = string.ascii_letters + string.digits
KEY_ID_LENGTH = 8
SECRET_LENGTH = 32
CHECKSUM_LENGTH = 6
# How often last-used time and address are written (not on every request).
TOUCH_EVERY = timedelta(seconds=60)
# Who may make and revoke keys: owners and admins.
MANAGE_ROLE = Role.ADMIN


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    out = ""
    for _ in range(CHECKSUM_LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        out += ALPHABET[digit]
    return out


def _hash(secret: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()


def api_key_create(
    *,
    org: Organization,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> tuple[ApiKey, str]:
    """Make a key for ``org`` acting as ``user``; returns the row and the whole key (shown once).

    The caller checks that ``user`` may manage keys (``can_manage_keys``). Raises ``DomainError``
    for a missing name, no or unknown scopes, or an expiry in the past."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the key a name, such as where it will be used.", field="name")
    if len(name) > 80:
        raise DomainError("Keep the name under 80 characters.", field="name")
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise DomainError(f"Unknown scope: {', '.join(unknown)}.", field="scopes")
    if not scopes:
        raise DomainError("Choose at least one thing the key may do.", field="scopes")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry date must be in the future.", field="expires_at")
    key_id = _random(KEY_ID_LENGTH)
    secret = _random(SECRET_LENGTH)
    body = f"{key_id}_{secret}"
    whole = f"{settings.API_KEY_PREFIX}{body}{_checksum(body)}"
    ordered = [s for s in Scope.values if s in set(scopes)]
    with transaction.atomic():
        key = ApiKey.objects.create(
            org=org,
            name=name,
            key_id=key_id,
            secret_hash=_hash(secret),
            scopes=ordered,
            created_by=user,
            expires_at=expires_at,
        )
        record(
            action=actions.API_KEY_CREATED,
            summary=f"{user.display_name} created the API key “{name}” ({', '.join(key.scope_labels())})",
            org=org,
            actor=user,
            target=key,
            data={
                "prefix": key.prefix,
                "scopes": ordered,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            request=request,
        )
    return key, whole


def api_key_revoke(*, key: ApiKey, user: User, request: HttpRequest | None = None) -> None:
    """Stop the key working now. Revoking a revoked key changes nothing."""
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user, updated_at=timezone.now()
        )
        if updated:
            record(
                action=actions.API_KEY_REVOKED,
                summary=f"{user.display_name} revoked the API key “{key.name}”",
                org=key.org,
                actor=user,
                target=key,
                data={"prefix": key.prefix},
                request=request,
            )


def api_key_parse(raw: str) -> tuple[str, str] | None:
    """``(key id, secret)`` of a well-formed key with a valid checksum, else None."""
    prefix = settings.API_KEY_PREFIX
    if not raw.startswith(prefix):
        return None
    rest = raw[len(prefix) :]
    body, checksum = rest[:-CHECKSUM_LENGTH], rest[-CHECKSUM_LENGTH:]
    key_id, _, secret = body.partition("_")
    if len(key_id) != KEY_ID_LENGTH or len(secret) != SECRET_LENGTH:
        return None
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return key_id, secret


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The usable key ``raw`` names (not revoked, not expired, its maker still allowed), or None."""
    parsed = api_key_parse(raw.strip())
    if parsed is None:
        return None
    key_id, secret = parsed
    key = ApiKey.objects.select_related("org__plan", "created_by").filter(key_id=key_id).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    if not key.is_usable or not key.created_by.is_active:
        return None
    return key


def api_key_touch(key: ApiKey, ip: str | None) -> None:
    """Remember when and from where the key was last used (at most once a minute per address)."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < TOUCH_EVERY and key.last_used_ip == ip:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
    key.last_used_at, key.last_used_ip = now, ip
