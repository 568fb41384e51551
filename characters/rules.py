"""The dataset rules for training from photos (PRODUCT.md §2): 20–30 images in four buckets that
follow the 12-9-6-3 rule. For N images each bucket needs at least ``floor(N × share)``; the
remainder goes anywhere. Pure functions: the server enforces them, the page shows them live."""

from __future__ import annotations

from dataclasses import dataclass

MIN_IMAGES = 20
MAX_IMAGES = 30
MIN_SHORT_SIDE = 768


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    share: float
    hint: str


BUCKETS = [
    Bucket("closeup", "Close-ups", 0.40, "Head and shoulders, face filling the frame, sharp eyes."),
    Bucket("half", "Half-body", 0.30, "Waist up; different outfits and backgrounds."),
    Bucket("full", "Full-body", 0.20, "Head to toe, standing and sitting."),
    Bucket("variety", "Variety", 0.10, "Profile, 3/4 view, expressions, other light."),
]
BUCKET_KEYS = [b.key for b in BUCKETS]
BUCKET_LABELS = {b.key: b.label for b in BUCKETS}


def bucket_minimums(total: int) -> dict[str, int]:
    """Minimum images per bucket for ``total`` images (the total clamped to 20–30): 30 → 12/9/6/3."""
    n = min(max(total, MIN_IMAGES), MAX_IMAGES)
    return {b.key: int(n * b.share + 1e-9) for b in BUCKETS}


def count_problems(counts: dict[str, int]) -> list[str]:
    """What keeps these bucket counts from being a trainable dataset, in plain words; [] if none."""
    total = sum(counts.get(k, 0) for k in BUCKET_KEYS)
    problems = []
    if total < MIN_IMAGES:
        problems.append(
            f"Add {MIN_IMAGES - total} more photo{'s' if MIN_IMAGES - total != 1 else ''}: training needs {MIN_IMAGES}–{MAX_IMAGES}, you have {total}."
        )
    elif total > MAX_IMAGES:
        problems.append(
            f"Remove {total - MAX_IMAGES} photo{'s' if total - MAX_IMAGES != 1 else ''}: training takes at most {MAX_IMAGES}, you have {total}."
        )
    minimums = bucket_minimums(total)
    for b in BUCKETS:
        have = counts.get(b.key, 0)
        if have < minimums[b.key]:
            missing = minimums[b.key] - have
            problems.append(
                f"{b.label}: add {missing} more (at least {minimums[b.key]} of {max(total, MIN_IMAGES)}, you have {have})."
            )
    return problems
