"""How ``/api/v1/`` knows who is calling: an API key in ``Authorization: Bearer …``, nothing else.

Session cookies are ignored: a request with only a cookie is a 401, and a request with a key acts
as the key's maker in the key's organisation whatever cookie it also carries (a page in the
browser can't ride a signed-in session into the API). Scopes and the maker's current role are
checked per endpoint (``require``); per-key rate limits are ``KeyRateThrottle``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from api.keys import api_key_authenticate, api_key_touch
from api.models import ApiKey, Scope
from core.network import client_ip
from orgs.models import Membership, Organization, Role
from orgs.selectors import pending_deletion_message

# The least role the key's maker needs (today) for a scope to work.
SCOPE_ROLES = {
    Scope.READ: Role.VIEWER,
    Scope.BILLING_READ: Role.VIEWER,
    Scope.ASSETS_WRITE: Role.MEMBER,
    Scope.GENERATE: Role.MEMBER,
    Scope.CHARACTERS_WRITE: Role.MEMBER,
}


@dataclass(frozen=True)
class Caller:
    """What a key-authenticated request acts as."""

    key: ApiKey
    membership: Membership

    @property
    def org(self) -> Organization:
        return self.membership.org


class ApiKeyAuth(HttpBearer):
    """The key in the Authorization header; with ``scope``, also that the key has it (else 403,
    before the request's body is even read) and that its maker's role still allows it."""

    def __init__(self, scope: str | None = None) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest):
        # Whatever the session middleware found in a cookie is not who this request is.
        request.user = AnonymousUser()
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        key = api_key_authenticate(token)
        if key is None:
            return None
        membership = (
            Membership.objects.select_related("org__plan", "user").filter(org=key.org, user=key.created_by).first()
        )
        if membership is None:  # the maker left: their keys stop working
            return None
        api_key_touch(key, client_ip(request))
        request.user = key.created_by
        who = Caller(key=key, membership=membership)
        if self.scope:
            _check(request, who, self.scope)
        return who


def scoped(scope: str) -> ApiKeyAuth:
    """The ``auth=`` of an endpoint that needs ``scope``."""
    return ApiKeyAuth(Scope(scope))


def caller(request: HttpRequest) -> Caller:
    auth = getattr(request, "auth", None)
    assert isinstance(auth, Caller)
    return auth


def _check(request: HttpRequest, who: Caller, scope: str) -> None:
    """403 unless the key has ``scope`` and its maker's role still allows it. Writes to an
    organisation scheduled for deletion are refused too (it is read-only)."""
    if scope not in who.key.scopes:
        raise HttpError(403, f"This key doesn't have the “{Scope(scope).label}” scope ({scope}). Make a key that does.")
    if not who.membership.has_role(SCOPE_ROLES[Scope(scope)]):
        raise HttpError(403, "The person who made this key is now a viewer of the organisation, so it can only read.")
    if request.method not in ("GET", "HEAD", "OPTIONS") and who.org.deletion_due_at:
        raise HttpError(403, pending_deletion_message(who.org))


class KeyRateThrottle(BaseThrottle):
    """A fixed one-minute window per key, counted atomically in the shared cache (Redis):
    ``API_RATE_LIMIT_PER_MINUTE`` requests, then 429 with ``Retry-After`` until the window ends."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: HttpRequest) -> bool:
        auth = getattr(request, "auth", None)
        if not isinstance(auth, Caller):
            return True
        limit = settings.API_RATE_LIMIT_PER_MINUTE
        if limit <= 0:
            return True
        now = time.time()
        window = int(now // 60)
        name = f"api:rate:{auth.key.key_id}:{window}"
        cache.add(name, 0, timeout=120)
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=120)
            count = 1
        if count > limit:
            self._wait = math.ceil((window + 1) * 60 - now)
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
