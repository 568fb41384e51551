"""The shape every paid job shares: status, credits and their hold, who asked, the one-time key,
the error in plain words, and when it started and finished.

Concrete jobs (``EditJob``, ``GenerationJob``, ``PromptDraft``, ``TrainingRun``, ``CharacterJob`` …)
inherit it and add their inputs; their items (``GenerationImage``, ``CharacterJobItem``) inherit
``JobItem``. Status moves only through ``jobs.engine`` (compare-and-set transitions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.text import capfirst

from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from core.models import OrgOwnedModel

if TYPE_CHECKING:
    from accounts.models import User


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

    # --- What the job centre and notifications say about it --------------------------------------
    # The defaults fit any kind with a plain-words ``Meta.verbose_name`` and a ``get_absolute_url()``;
    # a kind overrides what it can say better, or what it can do (cancel, retry).

    # Relations the job centre loads with the rows (``select_related``), for the title and the link.
    centre_related: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def kind_label(cls) -> str:
        """ "Edit job", "Training run": the kind, in the words of its ``Meta.verbose_name``."""
        return capfirst(str(cls._meta.verbose_name))

    def centre_title(self) -> str:
        """What this job is, in a few words ("Upscale 2×", "4 images of Nova")."""
        return self.kind_label()

    def progress_percent(self) -> int | None:
        """How far along it is: 100 when finished; from its items (done of all) when the kind has
        ``JobItem`` children; None when nothing measures it (the page estimates from the ETA)."""
        if not self.is_active:
            return 100
        # Counted by the job centre's query (``jobs.selectors``), not one query per job.
        total: Any = getattr(self, "centre_items_total", None)
        done: Any = getattr(self, "centre_items_done", 0)
        return round(100 * done / total) if total else None

    def credits_charged(self) -> int:
        """Credits taken for it so far: what its hold captured (needs ``hold`` loaded)."""
        hold = self.hold if self.hold_id else None
        return int(hold.captured_amount or 0) if hold is not None else 0

    def centre_cancel(self, user: User | None) -> None:
        """Cancel it (kinds that can be cancelled override this; ``jobs.services.job_cancel`` calls it
        for an active job only)."""
        raise DomainError(
            f"{capfirst(str(self._meta.verbose_name_plural))} can't be cancelled here: open it to see where it is."
        )

    def centre_retry(self, user: User | None) -> Job:
        """Start it again as a new job (kinds that can override this; only for a failed or cancelled one)."""
        raise DomainError(
            f"{capfirst(str(self._meta.verbose_name_plural))} can't be retried from the job centre: open it to start a new one."
        )

    def notice(self) -> tuple[str, str] | None:
        """``(title, body)`` of the notification its creator gets when it ends (``jobs.notices``,
        from ``engine.job_finish``); None: no notification (a cancel: whoever cancelled knows)."""
        title = self.centre_title()
        if self.status == JobStatus.SUCCEEDED:
            return f"{title}: done", ""
        if self.status == JobStatus.FAILED:
            back = f" The {self.credits} credits held for it are available again." if self.credits else ""
            return f"{title}: failed", f"{self.error or 'It failed without saying why.'}{back}"
        return None

    @classmethod
    def notice_group_title(cls, status: str) -> str:
        """The words for several notices of this kind ending alike, with ``{count}``."""
        plural = str(cls._meta.verbose_name_plural)
        return "{count} " + plural + (" done" if status == JobStatus.SUCCEEDED else " failed")

    @classmethod
    def can_cancel(cls) -> bool:
        return cls.centre_cancel is not Job.centre_cancel

    @classmethod
    def can_retry(cls) -> bool:
        return cls.centre_retry is not Job.centre_retry


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
