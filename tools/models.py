"""AI tools: colour grading and audio cleanup, each a job like every other (PRODUCT.md §10).

``ToolJob`` is one tool run on one library item, paid by one credit hold and done on our own
worker (ffmpeg, Pillow): no provider call. ``Lut`` is a ``.cube`` an organisation uploaded, kept
so it can be previewed and used again.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from core.models import OrgOwnedModel
from jobs.models import Job


class ToolJob(Job):
    """One tool run on one library item: a colour grade or an audio cleanup."""

    HOLD_KEY = "tool"

    class Kind(models.TextChoices):
        GRADE = "grade", "Colour grade"
        AUDIO = "audio", "Audio cleanup"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="tool_jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True, help_text="What was asked for: the look, the sliders …")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="tool_jobs"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the source is deleted.")
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, while it runs.")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    class Meta:
        verbose_name = "colour grade or audio cleanup"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="tooljob_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="tooljob_key_once")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.GRADE:
            return f"Colour grade · {self.params.get('look_name') or 'sliders only'}"
        return "Audio cleanup"

    def get_absolute_url(self) -> str:
        return reverse("tools:job", args=[self.org.slug, self.public_id])


class Lut(OrgOwnedModel):
    """A 3D LUT (``.cube``) someone in the organisation uploaded."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="luts")
    name = models.CharField(max_length=100)
    size = models.PositiveSmallIntegerField()
    text = models.TextField(help_text="The .cube file as uploaded (checked when it was).")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "LUT"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name
