"""Typed requests, so views say what they can rely on."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User
    from orgs.models import Membership, Organization


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User


class OrgHttpRequest(AuthenticatedHttpRequest):
    org: Organization
    membership: Membership


def one_time_key(request: HttpRequest) -> str:
    """The form's one-time ``key`` (a UUID the page put in it), so a double click starts one job;
    '' when it is missing or isn't one."""
    try:
        return str(uuid.UUID(request.POST.get("key", "")))
    except ValueError:
        return ""
