"""An organisation's export of all its data (GDPR): built by a worker, downloaded for a week."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import OrgOwnedModel


class DataExport(OrgOwnedModel):
    """One zip of everything an organisation holds. At most one is being built at a time."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Building"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=120, blank=True, help_text="What the worker is adding now.")
    files = models.PositiveIntegerField(default=0, help_text="Files (photos, videos, models) in the zip.")
    key = models.CharField(max_length=300, blank=True)
    bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "data export"
        constraints = [
            # Requested twice at once (a double click, two owners): one export is built.
            models.UniqueConstraint(
                fields=["org"], condition=Q(status__in=["queued", "running"]), name="data_export_one_active"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="data_export_progress_percent"),
        ]

    def __str__(self):
        return f"Data export of {self.org} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
