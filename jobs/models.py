"""The shape every paid job shares: status, credits and their hold, who asked, the one-time key,
the error in plain words, and when it started and finished.

Concrete jobs (``EditJob``, ``GenerationJob``, ``PromptDraft``, ``TrainingRun``, ``CharacterJob`` …)
inherit it and add their inputs; their items (``GenerationImage``, ``CharacterJobItem``) inherit
``JobItem``. Status moves only through ``jobs.engine`` (compare-and-set transitions).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from core.jobs import ACTIVE, JobStatus
from core.models import OrgOwnedModel


class Job(OrgOwnedModel):
    """A paid operation: one credit hold, settled exactly once by ``jobs.engine.job_finish``."""

    # The hold's ledger key is ``<HOLD_KEY>:<public_id>``: one hold per job, whatever retries.
    HOLD_KEY: ClassVar[str] = "job"

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    operation = models.CharField(max_length=40, blank=True, help_text="What it is priced as, or routed to.")
    credits = models.PositiveIntegerField(default=0, help_text="Held when the job started.")
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, help_text="One job per form submit.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class CallJob(Job):
    """A job done by one provider call at a time (``call`` is the one it waits on)."""

    call = models.ForeignKey(
        "providers.ProviderCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(Job.Meta):
        abstract = True


class JobItem(models.Model):
    """One result of a multi-item job (an image of a pack), made by one provider call at a time."""

    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    call = models.ForeignKey(
        "providers.ProviderCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE
