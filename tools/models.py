"""AI tools: colour grading and audio cleanup, each a job like every other (PRODUCT.md §10).

``ToolJob`` is one tool run on one library item, paid by one credit hold and done on our own
worker (ffmpeg, Pillow): no provider call. ``Lut`` is a ``.cube`` an organisation uploaded, kept
so it can be previewed and used again.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from core.models import OrgOwnedModel
from jobs.models import CallJob, Job


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


class MeshJob(CallJob):
    """Image → 3D: one library image made into a 3D model (GLB, and OBJ when asked) by TRELLIS,
    paid by one credit hold and waiting on one provider call (``tools.mesh_jobs``)."""

    HOLD_KEY = "mesh"

    class Format(models.TextChoices):
        GLB = "glb", "GLB (binary glTF)"
        OBJ = "obj", "OBJ (with its MTL and texture, zipped)"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="mesh_jobs")
    params = models.JSONField(default=dict, blank=True, help_text="What was asked for: faces, format, seed …")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="mesh_jobs"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the image is deleted.")
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    class Meta:
        verbose_name = "image to 3D model"
        verbose_name_plural = "images to 3D models"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="meshjob_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="meshjob_key_once")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        faces = self.params.get("faces")
        return f"3D model · {faces:,} faces" if isinstance(faces, int) else "3D model"

    def get_absolute_url(self) -> str:
        return reverse("tools:mesh_job", args=[self.org.slug, self.public_id])

    def centre_title(self) -> str:
        return f"3D model of “{self.source_title}”" if self.source_title else "3D model"

    def progress_percent(self) -> int | None:
        from tools import mesh_jobs

        return mesh_jobs.progress(self)

    def centre_cancel(self, user) -> None:
        from tools import mesh_jobs

        mesh_jobs.mesh_cancel(job=self, user=user)

    def centre_retry(self, user) -> MeshJob:
        from tools import mesh_jobs

        return mesh_jobs.mesh_retry(job=self, user=user)

    def attempts(self, limit: int = 20) -> list[MeshJob]:
        """This job and the failed or cancelled ones it retried (``retry_of``), newest first."""
        chain: list[MeshJob] = [self]
        while len(chain) < limit and (earlier := chain[-1].retry_of) is not None:
            chain.append(earlier)
        return chain


class MatteJob(CallJob):
    """Rotoscoping (``tools.roto``): a range of one library video cut out from its background by the
    matting model, one credit hold for it. The worker trims the range (``stage`` "trim"), the
    provider makes the alpha matte ("matte"), the worker makes the WebM with alpha and the preview
    over a checkerboard ("compose"); both land in the library as children of the video."""

    HOLD_KEY = "matte"

    class Stage(models.TextChoices):
        TRIM = "trim", "Cutting the range"
        MATTE = "matte", "Matting"
        COMPOSE = "compose", "Making the WebM and the preview"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="matte_jobs")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="matte_jobs"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the source is deleted.")
    start = models.FloatField(help_text="Seconds into the video the range starts.")
    end = models.FloatField(help_text="Seconds into the video the range ends.")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.TRIM)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, while it runs.")
    stage_started_at = models.DateTimeField(null=True, blank=True)
    clip_key = models.CharField(max_length=300, blank=True, help_text="The trimmed range sent to the provider.")
    result = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The WebM."
    )
    preview = models.ForeignKey(
        "assets.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The MP4 over a checkerboard.",
    )
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    class Meta:
        verbose_name = "rotoscoping"
        verbose_name_plural = "rotoscoping runs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="mattejob_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="mattejob_key_once")]

    centre_related = ("source",)

    def __str__(self):
        return self.label

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def label(self) -> str:
        return f"Rotoscoping · {self.start:.1f}–{self.end:.1f} s"

    def get_absolute_url(self) -> str:
        return reverse("tools:roto_job", args=[self.org.slug, self.public_id])

    def centre_title(self) -> str:
        return f"Rotoscoping of “{self.source_title}”" if self.source_title else "Rotoscoping"

    def progress_percent(self) -> int | None:
        from tools.roto import progress_now

        return progress_now(self)

    def centre_cancel(self, user) -> None:
        from tools.roto import roto_cancel

        roto_cancel(job=self, user=user)

    def centre_retry(self, user) -> MatteJob:
        from tools.roto import roto_retry

        return roto_retry(job=self, user=user)

    def attempts(self, limit: int = 20) -> list[MatteJob]:
        """This job and the failed or cancelled ones it retried (``retry_of``), newest first."""
        chain: list[MatteJob] = [self]
        while len(chain) < limit and (earlier := chain[-1].retry_of) is not None:
            chain.append(earlier)
        return chain
