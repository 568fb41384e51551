"""Generation in the Studio and edits of library items.

``GenerationJob`` is an image pack for a character (1–10 images, each a ``GenerationImage`` made by
one provider call, or a short chain of them: describe → generate → try on). ``EditJob`` is one edit
of one library item: upscale, inpaint, change clothes. ``StyleLora`` is a look staff add to packs
(an "Instagram" look), loaded next to the character's LoRA. Refused prompts are kept by the
``safety`` app (``safety.SafetyEvent``).
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from core.models import TimeStampedModel
from generation import presets
from jobs.models import CallJob, Job, JobItem


class EditJob(CallJob):
    """One edit of one library item, paid for by one credit hold and done by one provider call (a
    clothing change by two, one after the other)."""

    HOLD_KEY = "edit"

    class Kind(models.TextChoices):
        UPSCALE = "upscale", "Upscale"
        INPAINT = "inpaint", "Inpaint"
        CLOTHES = "clothes", "Change clothes"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="edit_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True, help_text="What was asked for, e.g. {'factor': 4}.")
    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="edit_jobs"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the source is deleted.")
    result = models.ForeignKey("assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Inpaint and clothes: the mask painted (or segmented) over the source, in the org's storage,
    # and a clothing image for a try-on.
    mask_key = models.CharField(max_length=300, blank=True)
    reference = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Clothing image."
    )
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="editjob_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="editjob_key_once")]
        verbose_name = "image edit"

    def __str__(self):
        return self.label

    def centre_title(self) -> str:
        return f"{self.label} of “{self.source_title}”" if self.source_title else self.label

    def centre_cancel(self, user) -> None:
        from generation.services import edit_job_cancel

        edit_job_cancel(job=self, user=user)

    def centre_retry(self, user) -> EditJob:
        from generation.services import edit_job_retry

        return edit_job_retry(job=self, user=user)

    @property
    def label(self) -> str:
        if self.kind == self.Kind.UPSCALE:
            return f"Upscale {self.params.get('factor', '?')}×"
        return self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse("generation:job", args=[self.org.slug, self.public_id])

    def attempts(self, limit: int = 20) -> list[EditJob]:
        """This job and the failed or cancelled ones it retried (``retry_of``), newest first."""
        chain: list[EditJob] = [self]
        while len(chain) < limit and (earlier := chain[-1].retry_of) is not None:
            chain.append(earlier)
        return chain


class GenerationJob(Job):
    """An image pack for a character: the recipe it was asked with, one hold for all its images, and
    the mode it ran in. Its images settle one by one; the hold is settled when the last one has."""

    HOLD_KEY = "pack"

    class Mode(models.TextChoices):
        HD = "hd", "HD"
        FACE_SWAP = "face_swap", "Face swap"

    class Origin(models.TextChoices):
        STUDIO = "studio", "Studio"
        RERUN = "rerun", "Re-run"
        VARIATIONS = "variations", "Variations"
        BATCH = "batch", "Library batch"
        API = "api", "API"
        KEEPERS = "keepers", "Generate until keepers"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="generation_jobs")
    character = models.ForeignKey(
        "characters.Character", null=True, blank=True, on_delete=models.SET_NULL, related_name="generation_jobs"
    )
    character_name = models.CharField(max_length=80, help_text="Kept if the character is deleted.")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.STUDIO)
    # The recipe (generation/presets.py keys).
    scene = models.CharField(max_length=30, blank=True)
    environment = models.CharField(max_length=30, blank=True)
    outfit = models.CharField(max_length=30, blank=True, help_text="An outfit key; blank: the character's default.")
    clothing = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Try-on image."
    )
    aspect_ratio = models.CharField(max_length=5)
    quality = models.CharField(max_length=5)
    count = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField(null=True, blank=True, help_text="The first image's seed; the rest follow it.")
    nsfw = models.BooleanField(default=False)
    prompt_text = models.TextField(blank=True, max_length=2000, help_text="Free text added to every prompt.")
    prompts = models.JSONField(default=list, blank=True, help_text="Per-image prompts written or edited by the user.")
    use_prompt_writer = models.BooleanField(default=False, help_text="Batch: the vision model describes each image.")
    # A style recipe used instead of a scene and an environment (styles/): the row, and its words as
    # the pack used them (the style may be edited or deleted later).
    style = models.ForeignKey(
        "styles.StyleRecipe", null=True, blank=True, on_delete=models.SET_NULL, related_name="packs"
    )
    style_recipe = models.JSONField(default=dict, blank=True, help_text="StyleRecipe.snapshot() when it started.")
    # How it ran.
    operation = models.CharField(max_length=40, help_text="The registry operation, e.g. image_lora.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    steps = models.PositiveSmallIntegerField()
    price_per_image = models.PositiveIntegerField()
    style_loras = models.JSONField(
        default=list, blank=True, help_text="The style LoRAs sent with every image: [{name, url, scale}]."
    )
    source_job = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns", help_text="Re-run of."
    )
    # A re-run from a lineage graph: the image it makes again (its branch is drawn beside it), and
    # the LoRA version it loads instead of the character's current one (a TrainingRun's file).
    rerun_of = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Image re-run."
    )
    lora_key = models.CharField(max_length=300, blank=True, help_text="A LoRA version other than the current one.")
    settled_at = models.DateTimeField(null=True, blank=True, help_text="When the pack's hold was settled.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "-created_at"], name="genjob_org_newest"),
            models.Index(fields=["character", "-created_at"], name="genjob_character_newest"),
        ]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="genjob_key_once")]
        verbose_name = "image pack"

    def __str__(self):
        return f"{self.count} image{'s' if self.count != 1 else ''} of {self.character_name} ({self.status})"

    def centre_title(self) -> str:
        return f"{self.count} image{'s' if self.count != 1 else ''} of {self.character_name}"

    def centre_cancel(self, user) -> None:
        from generation.packs import pack_cancel

        pack_cancel(job=self, user=user)

    def get_absolute_url(self) -> str:
        return reverse("generation:pack", args=[self.org.slug, self.public_id])

    # Labels of the recipe's keys (generation.presets), for pages.
    @property
    def scene_label(self) -> str:
        return presets.SCENES_BY_KEY[self.scene].label if self.scene in presets.SCENES_BY_KEY else ""

    @property
    def style_name(self) -> str:
        return str((self.style_recipe or {}).get("name") or "")

    @property
    def environment_label(self) -> str:
        entry = presets.ENVIRONMENTS_BY_KEY.get(self.environment)
        return entry.label if entry else ""

    @property
    def outfit_label(self) -> str:
        return "Uploaded clothing" if self.clothing_id else presets.outfit_label(self.outfit)

    @property
    def quality_label(self) -> str:
        entry = presets.QUALITIES_BY_KEY.get(self.quality)
        return entry.label if entry else self.quality


class GenerationImage(JobItem):
    """One image of a pack. ``stage`` is the call it is waiting on: ``describe`` (the vision model
    writes its prompt from a reference), ``generate``, then ``tryon`` when the pack has a clothing
    image. A retried image pays with its own ``hold``."""

    class Stage(models.TextChoices):
        DESCRIBE = "describe", "Writing the prompt"
        GENERATE = "generate", "Generating"
        TRYON = "tryon", "Changing clothes"

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="images")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.GENERATE)
    prompt = models.TextField(blank=True)
    seed = models.BigIntegerField()
    reference = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Batch source."
    )
    intermediate_key = models.CharField(max_length=300, blank=True, help_text="The generated image, before try-on.")
    identity_score = models.PositiveSmallIntegerField(null=True, blank=True)
    scored = models.BooleanField(default=False, help_text="Scoring ran (the score stays empty without a face).")
    hold = models.ForeignKey("billing.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="genimage_position_once")]

    def __str__(self):
        return f"{self.job} #{self.position + 1}"


class PromptDraft(CallJob):
    """ "Write prompts for me": one request to the language model for ``count`` varied prompts from
    the Studio's choices, paid for with one credit. The prompts are shown for editing, not used as-is."""

    HOLD_KEY = "prompts"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    character = models.ForeignKey("characters.Character", on_delete=models.CASCADE, related_name="prompt_drafts")
    params = models.JSONField(default=dict, help_text="The Studio choices the prompts were written for.")
    count = models.PositiveSmallIntegerField()
    nsfw = models.BooleanField(default=False)
    prompts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="promptdraft_key_once")]

    centre_related = ("character",)

    def __str__(self):
        return f"{self.count} prompts for {self.character} ({self.status})"

    def centre_title(self) -> str:
        return f"{self.count} prompts written for {self.character.name}"

    def get_absolute_url(self) -> str:
        return reverse("generation:studio", args=[self.org.slug, self.character.public_id])


class StyleLora(TimeStampedModel):
    """A look staff add to packs: a LoRA file at an external https URL (the provider fetches it),
    sent next to the character's LoRA at ``scale`` (``generation.routing``).

    ``applies_to`` lists where it is used: scene keys from ``generation.presets`` (e.g.
    ``"candid_lifestyle"``), or ``"always"`` for every pack. ``nsfw`` looks are used only in packs
    with adult content switched on. A LoRA loads only in the model family it was trained for
    (``base``): a FLUX one goes with HQ images and FLUX drafts, a Z-Image one with Z-Image drafts.
    Inactive rows are never used; a row can't be active without a URL.
    """

    ALWAYS = "always"

    class Base(models.TextChoices):
        FLUX = "flux", "FLUX"
        ZIMAGE = "zimage", "Z-Image Turbo"

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="What the look does, and where the file comes from.")
    url = models.URLField(
        max_length=500, blank=True, help_text="https URL of the .safetensors file; the provider downloads it."
    )
    scale = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.8"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("4"))],
        help_text="How strongly it applies, 0–4 (0.6–1.0 usually).",
    )
    base = models.CharField(max_length=10, choices=Base.choices, help_text="The model family it was trained for.")
    nsfw = models.BooleanField(default=False, help_text="Only used in packs with adult content switched on.")
    applies_to = models.JSONField(
        default=list, blank=True, help_text='Scene keys (e.g. ["candid_lifestyle"]) or ["always"].'
    )
    active = models.BooleanField(default=False)

    class Meta:
        verbose_name = "style LoRA"
        verbose_name_plural = "style LoRAs"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(active=True, url=""),
                name="stylelora_active_has_url",
                violation_error_message="An active style LoRA needs a URL.",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.url:
            parts = urlsplit(self.url)
            if parts.scheme != "https" or not parts.path.endswith(".safetensors"):
                errors["url"] = "Use an https URL of a .safetensors file."
        elif self.active:
            errors["url"] = "Add the file's URL before making it active."
        allowed = {self.ALWAYS, *presets.SCENE_KEYS}
        if not isinstance(self.applies_to, list) or not all(key in allowed for key in self.applies_to):
            errors["applies_to"] = f"A list of: {', '.join(sorted(allowed))}."
        if errors:
            raise ValidationError(errors)

    def applies(self, scene: str) -> bool:
        return self.ALWAYS in self.applies_to or (bool(scene) and scene in self.applies_to)
