"""Edits of existing library items: upscale now; inpaint and clothing changes build on the same job."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.jobs import ACTIVE, JobStatus
from core.models import OrgOwnedModel, OrgQuerySet


class EditJob(OrgOwnedModel):
    """One edit of one library item, paid for by one credit hold and done by one provider call."""

    class Kind(models.TextChoices):
        UPSCALE = "upscale", "Upscale"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="edit_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True, help_text="What was asked for, e.g. {'factor': 4}.")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="edit_jobs"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the source is deleted.")
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    operation = models.CharField(max_length=40, help_text="Key in billing.prices.")
    credits = models.PositiveIntegerField()
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey(
        "providers.ProviderCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, help_text="One job per form submit.")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="editjob_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="editjob_key_once")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.UPSCALE:
            return f"Upscale {self.params.get('factor', '?')}×"
        return self.get_kind_display()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def get_absolute_url(self) -> str:
        return reverse("generation:job", args=[self.org.slug, self.public_id])
