"""The dataset builder (PRODUCT.md §2 path C): a few source face photos and many target body
photos become a training set for a character — face swap, a face-aware 1024² crop, a 2× enhance
brought back to 1024, and a caption — reviewed, bucketed, then handed to the photo path's dataset
check and training.

- ``DatasetBuild``: one character's builder, its attestations and its photos.
- ``SourcePhoto``: a face photo (3–10), with its face and whether it is an outlier.
- ``TargetPhoto``: a body photo (10–40) and everything made from it: the swapped, cropped and
  enhanced stages, the result in the library, its caption, identity score, review and bucket.
- ``BuildRun`` (a ``Job``): one paid run over some targets' steps; ``BuildUnit`` (a ``JobItem``):
  one target × one step, with its own status. A resume or a redo is a new run over only the units
  still to do, so nothing done is paid twice.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse

from characters.rules import BUCKETS
from core.models import OrgOwnedModel
from jobs.models import Job, JobItem

BUCKET_CHOICES = [(b.key, b.label) for b in BUCKETS]


class DatasetBuild(OrgOwnedModel):
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    character = models.OneToOneField("characters.Character", on_delete=models.CASCADE, related_name="dataset_build")
    consent = models.ForeignKey(
        "characters.Consent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The rights to the body photos, attested with the face consent: who, when, from where, which text.
    rights_text = models.TextField(blank=True)
    rights_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rights_email = models.EmailField(blank=True)
    rights_ip = models.GenericIPAddressField(null=True, blank=True)
    rights_at = models.DateTimeField(null=True, blank=True)
    imported = models.BooleanField(default=False, help_text="Made from an uploaded kohya zip.")
    handed_over_at = models.DateTimeField(null=True, blank=True, help_text="When the accepted set became the dataset.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "dataset build"

    def __str__(self):
        return f"Dataset build of {self.character}"

    def get_absolute_url(self) -> str:
        return reverse("datasets:build", args=[self.org.slug, self.public_id])


class SourcePhoto(OrgOwnedModel):
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    build = models.ForeignKey(DatasetBuild, on_delete=models.CASCADE, related_name="sources")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    face_box = models.JSONField(null=True, blank=True)
    embedding = ArrayField(models.FloatField(), size=128, null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True, help_text="Why it can't be used: blocks the run.")
    outlier_distance = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"Source {self.position + 1} of {self.build}"

    @property
    def number(self) -> int:
        return self.position + 1


class TargetPhoto(OrgOwnedModel):
    class Review(models.TextChoices):
        PENDING = "pending", "To review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    build = models.ForeignKey(DatasetBuild, on_delete=models.CASCADE, related_name="targets")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    face_box = models.JSONField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True, help_text="Why it can't be a target: skipped.")
    source = models.ForeignKey(SourcePhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    seed = models.BigIntegerField(default=0)
    # Stages in the org's storage; the result is a library image.
    swap_key = models.CharField(max_length=300, blank=True)
    crop_key = models.CharField(max_length=300, blank=True)
    crop_rule = models.CharField(max_length=20, blank=True, help_text="face-crop | padded")
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    caption = models.TextField(blank=True, max_length=1000)
    nsfw = models.BooleanField(default=False)
    identity = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0–100 against the source faces.")
    face_share = models.FloatField(null=True, blank=True, help_text="Face height ÷ image height in the result.")
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    bucket = models.CharField(max_length=10, choices=BUCKET_CHOICES, blank=True)
    demo = models.BooleanField(default=False, help_text="Made by the offline demo provider.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"Target {self.position + 1} of {self.build}"

    @property
    def number(self) -> int:
        return self.position + 1


class BuildRun(Job):
    """A paid run of the pipeline over some targets (the first run, a resume, or a redo)."""

    HOLD_KEY = "dataset-run"

    class Kind(models.TextChoices):
        RUN = "run", "Run"
        RESUME = "resume", "Resume"
        REDO = "redo", "Redo"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    build = models.ForeignKey(DatasetBuild, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RUN)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        verbose_name = "dataset build run"
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="buildrun_key_once")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.build} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("datasets:build", args=[self.org.slug, self.build.public_id])


class BuildUnit(JobItem):
    """One target × one step of a run."""

    run = models.ForeignKey(BuildRun, on_delete=models.CASCADE, related_name="units")
    target = models.ForeignKey(TargetPhoto, on_delete=models.CASCADE, related_name="units")
    step = models.CharField(max_length=10)
    credits = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta(JobItem.Meta):
        indexes = [models.Index(fields=["target", "step"], name="buildunit_target_step")]

    def __str__(self):
        return f"{self.target} · {self.step} ({self.status})"
