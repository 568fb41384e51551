from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from core.models import OrgOwnedModel


class Likeness(models.TextChoices):
    """Where an asset's likeness score stands (``Asset.likeness_status``; blank: nothing to score)."""

    PENDING = "pending", "Scoring"
    SCORED = "scored", "Scored"
    NO_FACE = "no_face", "No face"
    SEVERAL_FACES = "several_faces", "Several faces"
    NO_REFERENCE = "no_reference", "No identity reference"
    NOT_SCORED = "not_scored", "Not scored (demo render)"
    UNREADABLE = "unreadable", "Couldn't be read"


class Asset(OrgOwnedModel):
    """A file in an organisation's library: an upload, a generation, an edit, a video, a LoRA."""

    Likeness = Likeness

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        FILE = "file", "File"  # e.g. a trained LoRA (.safetensors)

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        GENERATED = "generated", "Generated"
        EDITED = "edited", "Edited"
        EXTENSION = "extension", "Extension"
        IMPORT = "import", "Import"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.UPLOAD)
    title = models.CharField(max_length=200)
    original_filename = models.CharField(max_length=255, blank=True)
    # Storage keys, built only by assets/storage.py.
    original_key = models.CharField(max_length=300)
    variants = models.JSONField(default=dict, blank=True, help_text="variant name → storage key")
    mime = models.CharField(max_length=100)
    bytes = models.PositiveBigIntegerField(help_text="Size of the original.")
    stored_bytes = models.PositiveBigIntegerField(default=0, help_text="Original plus derived files.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds, for video.")
    sha256 = models.CharField(max_length=64, db_index=True)
    phash = models.BigIntegerField(null=True, blank=True)
    near_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="near_duplicates"
    )
    metadata = models.JSONField(default=dict, blank=True, help_text="Technical facts; a generation's recipe.")
    character = models.ForeignKey(
        "characters.Character",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
        help_text="The character it shows, for images made for one (Studio, edits).",
    )
    nsfw = models.BooleanField(default=False)
    liked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What it truly cost, recorded when a job delivered it (jobs.engine.output_to_library): its share
    # of the job's credits, and what the provider billed for every call behind it, failed attempts
    # and earlier steps included. Empty for uploads and for assets made before it was recorded.
    credits_cost = models.PositiveIntegerField(null=True, blank=True, help_text="Credits it was charged.")
    provider_cost_usd = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="What providers billed for it; empty: unknown.",
    )
    provider_cost_note = models.CharField(max_length=200, blank=True, help_text="The calls behind the provider cost.")
    # Likeness (identity app): how much the face in it looks like its character, 0–100, from dlib's
    # embeddings; for a video, the worst sampled frame (``likeness_frames``: one score a second).
    likeness = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0–100; empty: not scored.")
    likeness_status = models.CharField(max_length=14, choices=Likeness.choices, blank=True, default="")
    likeness_frames = models.JSONField(
        default=list, blank=True, help_text="Video: [{second, score, status}] for the frames sampled."
    )
    likeness_scored_at = models.DateTimeField(null=True, blank=True)
    parents = models.ManyToManyField("self", symmetrical=False, related_name="children", blank=True)
    tags = models.ManyToManyField("assets.Tag", related_name="assets", blank=True)
    # What search matches, lower-cased: title, file name, tags, prompt and caption (asset_reindex).
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "-created_at", "-id"], name="asset_org_newest"),
            models.Index(fields=["org", "sha256"], name="asset_org_sha256"),
            # Trigram index: substring (LIKE '%q%') and typo-tolerant (q <% text) matches (selectors.asset_search).
            GinIndex(OpClass(F("search_text"), name="gin_trgm_ops"), name="asset_search_trgm"),
            models.Index(fields=["character", "likeness_scored_at"], name="asset_character_likeness"),
        ]

    def __str__(self):
        return self.title

    @property
    def recipe(self) -> dict | None:
        return self.metadata.get("recipe")

    @property
    def is_placeholder(self) -> bool:
        """Drawn by the demo provider (no AI provider configured): a labelled placeholder with no
        real face in it, so it has no likeness to score."""
        return (self.recipe or {}).get("provider") == "demo"

    @property
    def provider_cost_label(self) -> str:
        """ "$0.0350", or "$0" when nothing was billed (the demo provider); "" when unknown."""
        if self.provider_cost_usd is None:
            return ""
        if self.provider_cost_usd == 0:
            return "$0"
        return f"${self.provider_cost_usd.quantize(Decimal('0.0001'))}"

    @property
    def prompt(self) -> str:
        recipe = self.recipe or {}
        return recipe.get("prompt", "")


class Tag(OrgOwnedModel):
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint("org", Lower("name"), name="unique_tag_per_org")]

    def __str__(self):
        return self.name


class Collection(OrgOwnedModel):
    """A board: a hand-picked set of assets."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    assets = models.ManyToManyField(Asset, through="CollectionItem", related_name="collections")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collection", "asset"], name="asset_once_per_collection")]

    def __str__(self):
        return f"{self.asset_id} in {self.collection_id}"


class Upload(OrgOwnedModel):
    """One file on its way into the library: declared → received → processed (or refused)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the file"
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Added"
        DUPLICATE = "duplicate", "Already in your library"
        FAILED = "failed", "Refused"
        CANCELLED = "cancelled", "Cancelled"
        ABANDONED = "abandoned", "Abandoned"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=255)
    declared_size = models.PositiveBigIntegerField()
    declared_type = models.CharField(max_length=100, blank=True)
    key = models.CharField(max_length=300)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RECEIVED, self.Status.PROCESSING)


class MediaImport(OrgOwnedModel):
    """A picture or video saved from another site (the extension, ``POST /api/v1/assets/import``):
    queued → fetching → done (or duplicate, linked to the asset already there) or failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        FETCHING = "fetching", "Fetching"
        DONE = "done", "Added"
        DUPLICATE = "duplicate", "Already in your library"
        FAILED = "failed", "Refused"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="media_imports")
    media_url = models.URLField(max_length=2000)
    page_url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=200, blank=True)
    caption = models.TextField(max_length=5000, blank=True)
    site = models.CharField(max_length=40, blank=True, help_text="pinterest, instagram or web")
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.CharField(max_length=500, blank=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="media_import_idempotency_unique",
            )
        ]

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.FETCHING)


class Export(OrgOwnedModel):
    """A zip of many assets, built by the worker and kept for 24 hours."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="exports")
    asset_ids = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    key = models.CharField(max_length=300, blank=True)
    bytes = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_percent"),
        ]
