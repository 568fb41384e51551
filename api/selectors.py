"""Reads for Settings → Developers: the organisation's keys, endpoints and recent deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from core.lookups import one_or_404
from orgs.models import Organization

DELIVERIES_SHOWN = 25


def api_keys(org: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_org(org).select_related("created_by", "revoked_by")


def api_key_or_404(org: Organization, public_id) -> ApiKey:
    return one_or_404(ApiKey.objects.for_org(org), public_id)


def endpoints(org: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_org(org)


def endpoint_or_404(org: Organization, public_id) -> WebhookEndpoint:
    return one_or_404(WebhookEndpoint.objects.for_org(org), public_id)


def recent_deliveries(org: Organization) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.for_org(org).select_related("endpoint")[:DELIVERIES_SHOWN])


def delivery_or_404(org: Organization, public_id) -> WebhookDelivery:
    return one_or_404(WebhookDelivery.objects.for_org(org).select_related("endpoint"), public_id)
