"""Finished style recipes for tests that use one (the Studio, pages, isolation)."""

from __future__ import annotations

from core.jobs import JobStatus
from styles.models import StyleRecipe

WORDS = {
    "pose": "leaning on a railing, looking over the shoulder",
    "outfit": "camel trench coat over a white shirt",
    "lighting": "golden hour backlight, warm rim light",
    "camera": "85 mm lens, f1.8, shallow depth of field",
    "composition": "vertical, subject on the left third",
    "background": "a bridge over a river at sunset",
    "mood": "wistful, cinematic",
}
PALETTE = [
    {"hex": "#1b2a4a", "name": "navy", "share": 0.4},
    {"hex": "#e8d9b5", "name": "cream", "share": 0.35},
    {"hex": "#b4562d", "name": "rust", "share": 0.25},
]


def style_ready(org, *, source=None, in_studio=False, name="Sunset bridge", **fields) -> StyleRecipe:
    """A style whose extraction succeeded (no credits involved)."""
    return StyleRecipe.objects.create(
        org=org,
        status=JobStatus.SUCCEEDED,
        operation="style_extraction",
        credits=1,
        source=source,
        source_title=source.title if source else "A deleted photo",
        name=name,
        palette=PALETTE,
        model_label="Grok vision (grok-4-1-fast-non-reasoning)",
        in_studio=in_studio,
        **{**WORDS, **fields},
    )
