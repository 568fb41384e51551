"""Product analytics: one row per thing a person did or a job reached ("studio_opened",
"generation_started" …), for the staff dashboards in the admin (PRODUCT.md §11, seed 003).
Written only by ``analytics.services.track``; the product never reads it back."""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils import timezone


class Event(models.Model):
    name = models.CharField(max_length=60)
    org = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    properties = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "analytics event"
        indexes = [
            # Dashboards read one event name over a window of days.
            models.Index(fields=["name", "at"], name="analytics_event_name_at"),
            # Rows arrive in time order: a BRIN index on ``at`` is tiny and serves the
            # daily-active-users scan and the retention prune.
            BrinIndex(fields=["at"], name="analytics_event_at_brin"),
        ]

    def __str__(self):
        return self.name
