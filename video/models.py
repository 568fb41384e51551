"""Video: clips made from library items, and animations from a reference video, step by step.

``VideoJob`` is one clip made from one library item by one credit hold: an image animated (image →
video, with an optional first step where the language model writes the motion) or a video upscaled.
``AnimatePipeline`` is an animation of a character from a reference video (PRODUCT.md §5); each of
its steps is an ``AnimateStep``, a job of its own with its own credits, so a step can be redone or
resumed without re-running (or re-charging) the ones before it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.models import OrgOwnedModel
from jobs.models import CallJob


class VideoJob(CallJob):
    """One video made from one library item, paid by one credit hold."""

    HOLD_KEY = "video"

    class Kind(models.TextChoices):
        IMAGE_TO_VIDEO = "image_to_video", "Image to video"
        UPSCALE = "upscale", "Video upscale"

    class Origin(models.TextChoices):
        SINGLE = "single", "Make video"
        BATCH = "batch", "Library batch"
        PACK = "pack", "With a pack"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="video_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SINGLE)
    params = models.JSONField(default=dict, blank=True, help_text="What was asked for: prompt, seconds, shape …")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="video_jobs"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the source is deleted.")
    character = models.ForeignKey(
        "characters.Character", null=True, blank=True, on_delete=models.SET_NULL, related_name="video_jobs"
    )
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    pack = models.ForeignKey(
        "generation.GenerationJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="videos",
        help_text="The batch pack whose image this animates.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="videojob_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="videojob_key_once")]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.UPSCALE:
            return f"Video upscale {self.params.get('factor', '?')}×"
        return f"Video · {self.params.get('seconds', '?')} s"

    def get_absolute_url(self) -> str:
        return reverse("video:job", args=[self.org.slug, self.public_id])

    def centre_title(self) -> str:
        return f"{self.label} of “{self.source_title}”" if self.source_title else self.label

    def centre_cancel(self, user) -> None:
        from video.services import video_job_cancel

        video_job_cancel(job=self, user=user)

    def centre_retry(self, user) -> VideoJob:
        from video.services import video_job_retry

        return video_job_retry(job=self, user=user)

    def attempts(self, limit: int = 20) -> list[VideoJob]:
        """This job and the failed or cancelled ones it retried (``retry_of``), newest first."""
        chain: list[VideoJob] = [self]
        while len(chain) < limit and (earlier := chain[-1].retry_of) is not None:
            chain.append(earlier)
        return chain


class AnimatePipeline(OrgOwnedModel):
    """An animation of a character from a reference video: prepare (trim, frame 1) → face swap →
    refinement (optionally a clothing change) → Wan 2.2 Animate. What was asked is kept here; each
    step is an ``AnimateStep``."""

    class Mode(models.TextChoices):
        REPLACE = "replace", "Replace the person in the video"
        MOVE = "move", "Move like the person in the video"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="animate_pipelines")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="animate_pipelines"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the video is deleted.")
    character = models.ForeignKey(
        "characters.Character", null=True, blank=True, on_delete=models.SET_NULL, related_name="animate_pipelines"
    )
    character_name = models.CharField(max_length=80, help_text="Kept if the character is deleted.")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.REPLACE)
    resolution = models.CharField(max_length=5, default="480p")
    start = models.FloatField(default=0, help_text="Seconds into the reference video the animation starts.")
    seconds = models.FloatField(help_text="How long the animation is (the part of the video it follows).")
    outfit = models.CharField(max_length=30, blank=True, help_text="An outfit key for the refinement, or blank.")
    outfit_words = models.CharField(max_length=300, blank=True, help_text="The outfit described in words.")
    nsfw = models.BooleanField(default=False)
    auto_animate = models.BooleanField(default=False, help_text="Goes on to the animation without a review.")
    note = models.CharField(max_length=500, blank=True, help_text="Why the next step didn't start by itself.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="animate_org_newest")]

    def __str__(self):
        return f"Animation of {self.character_name} from “{self.source_title}”"

    def get_absolute_url(self) -> str:
        return reverse("video:pipeline", args=[self.org.slug, self.public_id])

    @property
    def changes_clothes(self) -> bool:
        return bool(self.outfit or self.outfit_words)


class AnimateStep(CallJob):
    """One step of an animation, a job with its own credits. A redo or a resume is a new step of
    the same kind; the newest one of a kind is the one the pipeline goes on from."""

    HOLD_KEY = "animate-step"

    class Kind(models.TextChoices):
        PREPARE = "prepare", "First frame"
        SWAP = "swap", "Face swap"
        REFINE = "refine", "Refinement"
        ANIMATE = "animate", "Animation"

    ORDER = (Kind.PREPARE, Kind.SWAP, Kind.REFINE, Kind.ANIMATE)

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="animate_steps")
    pipeline = models.ForeignKey(AnimatePipeline, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True, help_text="Seed, the call being waited on …")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Made from."
    )
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The prepare step makes two files: the clip the animation follows (result) and its first frame.
    frame = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["pipeline", "kind", "-created_at"], name="animatestep_newest")]
        constraints = [
            models.UniqueConstraint(fields=["org", "idempotency_key"], name="animatestep_key_once"),
            # One step at a time: each goes on from the one before it.
            models.UniqueConstraint(
                fields=["pipeline"], condition=Q(status__in=["queued", "running"]), name="animatestep_one_running"
            ),
        ]
        verbose_name = "animation step"

    centre_related = ("pipeline",)

    def centre_title(self) -> str:
        return f"{self.get_kind_display()} of {self.pipeline.character_name}’s animation"

    def centre_cancel(self, user) -> None:
        from video.animate import pipeline_cancel

        pipeline_cancel(pipeline=self.pipeline, user=user)

    def __str__(self):
        return f"{self.get_kind_display()} ({self.status})"

    def get_absolute_url(self) -> str:
        return self.pipeline.get_absolute_url()


class PackVideo(OrgOwnedModel):
    """A batch pack asked for a clip of each of its images: each is started as its image arrives."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    pack = models.OneToOneField("generation.GenerationJob", on_delete=models.CASCADE, related_name="video_follow")
    seconds = models.PositiveSmallIntegerField()
    refusals = models.JSONField(default=list, blank=True, help_text="Images whose clip couldn't start, and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.seconds} s clips of pack {self.pack_id}"
