"""Style recipes (PRODUCT.md §8, issue #18 §3): what a saved image looks like, in words a prompt can
use (pose, outfit, lighting, camera and lens, composition, background, mood) and the colours its
pixels are made of. Extracting one is a paid job (1 credit) on the job engine; the row is the job
and, once it succeeded, the recipe, which the person edits and can turn into a Studio preset.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from jobs.models import CallJob

# The words of a recipe, in the order pages show them and prompts use them.
FIELDS = ("pose", "outfit", "lighting", "camera", "composition", "background", "mood")
FIELD_LABELS = {
    "pose": "Pose",
    "outfit": "Outfit",
    "lighting": "Lighting",
    "camera": "Camera and lens",
    "composition": "Composition",
    "background": "Background and environment",
    "mood": "Mood",
}
MAX_FIELD_CHARS = 300
MAX_NAME_CHARS = 80


class StyleRecipe(CallJob):
    """One style extracted from one library image: the job (one vision-model call at a time, asked
    again when its answer can't be read) and the recipe it produced. ``in_studio``: offered in the
    Studio under "Your styles"."""

    HOLD_KEY = "style"

    source = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="style_recipes"
    )
    source_title = models.CharField(max_length=200, blank=True, help_text="Kept if the source is deleted.")
    name = models.CharField(max_length=MAX_NAME_CHARS)
    pose = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    outfit = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    lighting = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    camera = models.TextField(blank=True, max_length=MAX_FIELD_CHARS, help_text="Camera and lens.")
    composition = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    background = models.TextField(blank=True, max_length=MAX_FIELD_CHARS, help_text="Background and environment.")
    mood = models.TextField(blank=True, max_length=MAX_FIELD_CHARS)
    palette = models.JSONField(
        default=list, blank=True, help_text='From the pixels: [{"hex": "#aabbcc", "name": "navy", "share": 0.31}].'
    )
    demo = models.BooleanField(default=False, help_text="Derived locally by the demo provider, not by a model.")
    model_label = models.CharField(max_length=120, blank=True, help_text="Who described the image.")
    asks = models.PositiveSmallIntegerField(default=1, help_text="Requests to the vision model, retries included.")
    in_studio = models.BooleanField(default=False, help_text='Offered in the Studio under "Your styles".')
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "-created_at"], name="stylerecipe_org_newest")]
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], name="stylerecipe_key_once")]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("styles:detail", args=[self.org.slug, self.public_id])

    @property
    def words(self) -> dict[str, str]:
        """The recipe's fields that have words, by name, in ``FIELDS`` order."""
        return {name: value for name in FIELDS if (value := getattr(self, name))}

    @property
    def summary(self) -> str:
        """A short line for cards: the first few fields' words."""
        return " · ".join(list(self.words.values())[:3])

    def snapshot(self) -> dict:
        """The recipe as a pack records it (its words can be edited later; the pack keeps these)."""
        return {
            "id": str(self.public_id),
            "name": self.name,
            **{name: getattr(self, name) for name in FIELDS},
            "palette": [swatch["hex"] for swatch in self.palette],
            "palette_names": [swatch["name"] for swatch in self.palette],
            "demo": self.demo,
            "source": str(self.source.public_id) if self.source_id and self.source else None,
        }
