"""Identity: "generate until N keepers" runs (issue #25). Likeness scores live on ``assets.Asset``
(``likeness``, ``likeness_status``, ``likeness_frames``); lineage is read from the assets' parents
and the jobs that made them (``identity.lineage``)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from jobs.models import Job


class KeepersRun(Job):
    """Ask for ``wanted`` images of a character whose likeness is at least ``threshold``, under a
    credit budget (``credits``, held up front). Images are made in small packs (``KeepersBatch``),
    each scored before the next; it stops at ``wanted`` keepers or when the budget can't pay for
    another image, charges what was delivered and releases the rest."""

    HOLD_KEY = "keepers"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="keepers_runs")
    character = models.ForeignKey(
        "characters.Character", null=True, blank=True, on_delete=models.SET_NULL, related_name="keepers_runs"
    )
    character_name = models.CharField(max_length=80, help_text="Kept if the character is deleted.")
    wanted = models.PositiveSmallIntegerField(help_text="Keepers asked for.")
    threshold = models.PositiveSmallIntegerField(help_text="Likeness (0–100) an image needs to be kept.")
    threshold_note = models.CharField(max_length=200, blank=True, help_text="Where the default came from.")
    recipe = models.JSONField(default=dict, help_text="Scene, environment, outfit, aspect ratio, quality, prompt.")
    price_per_image = models.PositiveIntegerField()
    spent = models.PositiveIntegerField(default=0, help_text="Credits for the images delivered so far.")
    kept = models.PositiveSmallIntegerField(default=0)
    outcome = models.TextField(blank=True, help_text="How it ended, in plain words.")

    class Meta(Job.Meta):
        verbose_name = "generate-until-keepers run"
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="keepersrun_key_once")]

    def __str__(self):
        return f"{self.wanted} keepers of {self.character_name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("identity:keepers", args=[self.org.slug, self.public_id])

    @property
    def spent_per_keeper(self) -> float | None:
        return round(self.spent / self.kept, 1) if self.kept else None


class KeepersBatch(models.Model):
    """One small pack a keepers run started (its images are paid from the run's hold)."""

    run = models.ForeignKey(KeepersRun, on_delete=models.CASCADE, related_name="batches")
    pack = models.OneToOneField("generation.GenerationJob", on_delete=models.CASCADE, related_name="keepers_batch")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="keepersbatch_position_once")]

    def __str__(self):
        return f"batch {self.position + 1} of {self.run}"
