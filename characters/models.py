"""Characters (PRODUCT.md §2): a consistent identity, its dataset, consent, training and jobs.

A character is created from photos (dataset → check → training) or from the wizard (attributes →
four candidates → a chosen base image → character sheet → training). It is usable in *face-swap*
mode as soon as it has a base image, and in *HD* mode once its LoRA is trained.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from characters import attributes as attrs
from characters.rules import BUCKETS
from core.models import OrgOwnedModel
from jobs.models import CallJob, Job, JobItem

TRIGGER_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_trigger_word() -> str:
    """``prsn`` + four random letters/digits, e.g. ``prsn7k2x``: a token no model already knows."""
    return "prsn" + "".join(secrets.choice(TRIGGER_ALPHABET) for _ in range(4))


class Character(OrgOwnedModel):
    class Origin(models.TextChoices):
        PHOTOS = "photos", "From photos"
        WIZARD = "wizard", "From the wizard"

    class LoraStatus(models.TextChoices):
        NONE = "none", "Not trained"
        SHEET = "sheet", "Making the character sheet"
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Training failed"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="characters")
    name = models.CharField(max_length=80)
    trigger_word = models.CharField(max_length=16, unique=True, default=new_trigger_word)
    origin = models.CharField(max_length=10, choices=Origin.choices)

    style = models.CharField(max_length=20, choices=attrs.choices(attrs.STYLES), default="photo")
    gender = models.CharField(max_length=20, choices=attrs.choices(attrs.GENDERS), blank=True)
    age = models.PositiveSmallIntegerField(
        default=25, validators=[MinValueValidator(attrs.MIN_AGE), MaxValueValidator(attrs.MAX_AGE)]
    )
    ethnicity = models.CharField(max_length=20, choices=attrs.choices(attrs.ETHNICITIES), blank=True)
    hair_colour = models.CharField(max_length=20, choices=attrs.choices(attrs.HAIR_COLOURS), blank=True)
    hair_style = models.CharField(max_length=20, choices=attrs.choices(attrs.HAIR_STYLES), blank=True)
    eye_colour = models.CharField(max_length=20, choices=attrs.choices(attrs.EYE_COLOURS), blank=True)
    body_type = models.CharField(max_length=20, choices=attrs.choices(attrs.BODY_TYPES), blank=True)
    default_outfit = models.CharField(max_length=30, choices=attrs.choices(attrs.OUTFITS), default="casual_jeans")
    notes = models.TextField(blank=True, max_length=1000)
    nsfw_allowed = models.BooleanField(
        default=False, help_text="Adult content for this character (also needs the org setting and consent)."
    )

    # Face-swap mode: the wizard's chosen base image (or, for photo characters, a dataset close-up).
    base_image = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    avatar = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # HD mode: the trained LoRA, copied to our storage (``loras/<id>.safetensors``) and in the library.
    lora_status = models.CharField(max_length=10, choices=LoraStatus.choices, default=LoraStatus.NONE)
    lora_asset = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lora_key = models.CharField(max_length=300, blank=True)
    lora_ready_at = models.DateTimeField(null=True, blank=True)
    # Quick drafts: a Z-Image Turbo LoRA trained from the same photos (a FLUX LoRA doesn't load in
    # Z-Image). Blank for characters trained before those existed, or while it is still training:
    # their drafts use the FLUX LoRA (``characters.zimage``).
    zimage_lora_key = models.CharField(max_length=300, blank=True)
    # Identity reference: the mean 128-d dlib embedding of the dataset, or the base/sheet images.
    identity_embedding = ArrayField(models.FloatField(), size=128, null=True, blank=True)
    identity_source = models.CharField(max_length=20, blank=True, help_text="dataset | base | sheet | references")
    identity_images = models.PositiveSmallIntegerField(default=0)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="character_org_newest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age__gte=attrs.MIN_AGE), name="character_adult", violation_error_message="18+"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def mode(self) -> str:
        """``hd`` (LoRA ready), ``face_swap`` (a base image to swap from) or ``none`` (not usable yet)."""
        if self.lora_status == self.LoraStatus.READY and self.lora_key:
            return "hd"
        if self.base_image_id:
            return "face_swap"
        return "none"

    @property
    def lora_demo(self) -> bool:
        """Whether the face model is the demo provider's placeholder file: the pipeline ran, but no
        model was trained, so nothing may say it was."""
        return bool(self.lora_asset_id and self.lora_asset and (self.lora_asset.metadata.get("lora") or {}).get("demo"))

    @property
    def mode_label(self) -> str:
        if self.mode == "hd" and self.lora_demo:
            return "HD (demo, not trained)"
        return {"hd": "HD", "face_swap": "Face swap", "none": "Not ready"}[self.mode]

    @property
    def appearance(self) -> str:
        return attrs.describe(self)


class Consent(OrgOwnedModel):
    """The attestation a person accepted for a character: who, when, from where, which text."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_email = models.EmailField(help_text="Kept if the user is deleted.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    text_version = models.CharField(max_length=20)
    text = models.TextField(help_text="The exact text accepted.")
    covers_adult_content = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Consent v{self.text_version} by {self.user_email}"


class SyntheticAttestation(OrgOwnedModel):
    """An owner's attestation that a wizard character is fictional, an adult and not made to
    resemble a real person: who, when, from where, which text (``characters.synthetic``)."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="attestations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user_email = models.EmailField(help_text="Kept if the user is deleted.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    text_version = models.CharField(max_length=20)
    text = models.TextField(help_text="The exact text attested.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Attestation v{self.text_version} by {self.user_email}"


class DatasetImage(OrgOwnedModel):
    """One training photo in one bucket, with what the dataset check found about it."""

    class Bucket(models.TextChoices):
        CLOSEUP = BUCKETS[0].key, BUCKETS[0].label
        HALF = BUCKETS[1].key, BUCKETS[1].label
        FULL = BUCKETS[2].key, BUCKETS[2].label
        VARIETY = BUCKETS[3].key, BUCKETS[3].label

    class Analysis(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Analysed"
        FAILED = "failed", "Could not be read"

    class Level(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked"
        OK = "ok", "Good"
        WARNING = "warning", "Warning"
        BLOCKING = "blocking", "Must be fixed"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="dataset")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="dataset_images")
    bucket = models.CharField(max_length=10, choices=Bucket.choices)
    position = models.PositiveSmallIntegerField(default=0)
    caption = models.TextField(blank=True, max_length=1000)

    # Per-image analysis (worker, right after upload): facts about this photo alone.
    analysis = models.CharField(max_length=10, choices=Analysis.choices, default=Analysis.PENDING)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    face_count = models.PositiveSmallIntegerField(null=True, blank=True)
    face_box = models.JSONField(null=True, blank=True, help_text="[left, top, right, bottom] in original pixels.")
    embedding = ArrayField(models.FloatField(), size=128, null=True, blank=True)
    sharpness = models.FloatField(null=True, blank=True, help_text="Variance of the Laplacian of the face area.")
    analysis_ms = models.PositiveIntegerField(null=True, blank=True)
    analysis_error = models.CharField(max_length=300, blank=True)

    # Dataset check (across all images): [{"code", "level", "message"}], the worst level, and
    # whether the user accepted this image's warnings.
    issues = models.JSONField(default=list, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.UNCHECKED)
    identity_distance = models.FloatField(null=True, blank=True, help_text="To the dataset's mean face.")
    warnings_accepted = models.BooleanField(default=False)

    class Meta:
        ordering = ["bucket", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["character", "asset"], name="dataset_image_once")]

    def __str__(self):
        return f"{self.character} · {self.get_bucket_display()} · {self.asset_id}"


class DatasetCheck(OrgOwnedModel):
    """One run of the dataset check over a character's photos: its verdict and when."""

    class Status(models.TextChoices):
        RUNNING = "running", "Checking"
        DONE = "done", "Checked"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="dataset_checks")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    images = models.PositiveSmallIntegerField(default=0)
    ok = models.PositiveSmallIntegerField(default=0)
    warnings = models.PositiveSmallIntegerField(default=0)
    blocking = models.PositiveSmallIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="Dataset-wide problems (counts, buckets).")
    fingerprint = models.CharField(max_length=64, blank=True, help_text="Which images (and buckets) were checked.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Dataset check of {self.character} ({self.status})"


class TrainingRun(CallJob):
    """One LoRA training of a character: one zip, one credit hold, and two trainers reading the zip.
    ``call`` is the FLUX trainer's: the run succeeds when its LoRA is ready. ``zimage_call`` trains
    the Z-Image LoRA for drafts alongside; it never holds the run up (``characters.zimage``)."""

    HOLD_KEY = "training"

    class Source(models.TextChoices):
        PHOTOS = "photos", "Uploaded photos"
        SHEET = "sheet", "Character sheet"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="training_runs")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="training_runs")
    source = models.CharField(max_length=10, choices=Source.choices)
    trigger_word = models.CharField(max_length=16)
    steps = models.PositiveIntegerField()
    create_masks = models.BooleanField(default=True)
    images = models.PositiveSmallIntegerField(default=0)
    captioned = models.BooleanField(default=False)
    zip_key = models.CharField(max_length=300, blank=True)
    operation = models.CharField(max_length=40, default="lora_training")
    lora_key = models.CharField(max_length=300, blank=True)
    zimage_call = models.ForeignKey(
        "providers.ProviderCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    zimage_lora_key = models.CharField(max_length=300, blank=True, help_text="This run's Z-Image LoRA, once stored.")
    zimage_error = models.CharField(max_length=500, blank=True, help_text="Why the Z-Image LoRA wasn't made.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "idempotency_key"], name="trainingrun_key_once"),
            # At most one active training per character: a double click starts one run.
            models.UniqueConstraint(
                fields=["character"],
                condition=models.Q(status__in=["queued", "running"]),
                name="trainingrun_one_active",
            ),
        ]
        verbose_name = "face model training"

    centre_related = ("character",)

    def __str__(self):
        return f"Training of {self.character} ({self.status})"

    def centre_title(self) -> str:
        return f"Face model training for {self.character.name}"

    def get_absolute_url(self) -> str:
        return reverse("characters:detail", args=[self.org.slug, self.character.public_id])

    def notice(self) -> tuple[str, str] | None:
        return None  # characters.training tells, in the character's words ("HD mode unlocked for …")

    def centre_cancel(self, user) -> None:
        from characters.training import training_cancel

        training_cancel(run=self, user=user)


class CharacterJob(Job):
    """A multi-image job for a character: the wizard's candidates, the character sheet, the
    reference images after training, or dataset captions. One credit hold; one item per call."""

    HOLD_KEY = "character-job"

    class Kind(models.TextChoices):
        CANDIDATES = "candidates", "Base image candidates"
        SHEET = "sheet", "Character sheet"
        REFERENCES = "references", "Reference images"
        CAPTIONS = "captions", "Dataset captions"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="character_jobs")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="characterjob_key_once")]
        verbose_name = "character image set"

    centre_related = ("character",)

    def __str__(self):
        return f"{self.get_kind_display()} for {self.character} ({self.status})"

    def centre_title(self) -> str:
        return f"{self.get_kind_display()} for {self.character.name}"

    def get_absolute_url(self) -> str:
        return reverse("characters:detail", args=[self.org.slug, self.character.public_id])

    def notice(self) -> tuple[str, str] | None:
        # The wizard's steps are told in the character's words: the sheet and the reference images
        # by "HD mode unlocked for …" / "HD mode couldn't be set up for …" (characters.wizard,
        # characters.training); the base image candidates are watched on the wizard's page.
        if self.kind != self.Kind.CAPTIONS:
            return None
        return super().notice()

    def centre_cancel(self, user) -> None:
        from characters.pipeline import character_job_cancel

        character_job_cancel(job=self, user=user)


class CharacterJobItem(JobItem):
    """One image (or caption) of a character job, made by one provider call."""

    job = models.ForeignKey(CharacterJob, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(max_length=80, blank=True, help_text="e.g. '3/4 view, smiling'.")
    prompt = models.TextField(blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    dataset_image = models.ForeignKey(DatasetImage, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    identity_distance = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"{self.job} #{self.position}"
