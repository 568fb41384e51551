"""Base models every domain app builds on, and the product-analytics event log."""

import uuid

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(TimeStampedModel):
    """Rows users can address: URLs carry the UUID ``public_id``, never the integer pk."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class OrgQuerySet(models.QuerySet):
    def for_org(self, org):
        return self.filter(org=org)


class OrgOwnedModel(PublicIdModel):
    """A tenant-owned row. Reads go through ``Model.objects.for_org(org)``."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True


class AnalyticsEvent(models.Model):
    """One product event ("studio_opened", "generation_started" …) with its properties, for the
    admin's dashboards (PRODUCT.md §11). Written by ``core.analytics.track``; never read by the app."""

    name = models.CharField(max_length=60)
    org = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["name", "-created_at"], name="analytics_name_newest")]

    def __str__(self):
        return self.name
