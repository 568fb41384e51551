"""Typed requests, so views say what they can rely on."""

from __future__ import annotations

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
