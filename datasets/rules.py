"""The dataset builder's limits and prices (PRODUCT.md §2 path C): pure numbers and words.

Per target photo the pipeline runs four steps. Three are paid provider calls, priced like the
same work elsewhere (PRODUCT.md §6): the face swap is the animation's swap on the same endpoint
(9 credits: easel's $0.05 a swap, 2× covered at the Agency rate), the enhance is an upscale ≤ 4×
(8), and the caption is one vision-model request, like a style extraction (1). The crop is local
and free. So a target costs 18 credits, and 40 targets 720.
"""

from __future__ import annotations

from billing.prices import operation_credits

MIN_SOURCES, MAX_SOURCES = 3, 10
MIN_TARGETS, MAX_TARGETS = 10, 40
OUTPUT_SIDE = 1024
ENHANCE_FACTOR = 2
# A face narrower than this (in the target's pixels) is too small to swap well.
MIN_FACE_PX = 64
# A face tilted further than this (the line through the eyes) is refused as a swap target.
MAX_ROLL_DEGREES = 40.0
# Identity: a result scoring under this against the source face has drifted (50 ≈ distance 0.6).
DRIFT_SCORE = 50
# A source face further than this from the others' consensus is not the same person.
SOURCE_OUTLIER_DISTANCE = 0.6

STEP_SWAP, STEP_CROP, STEP_ENHANCE, STEP_CAPTION = "swap", "crop", "enhance", "caption"
STEPS = [STEP_SWAP, STEP_CROP, STEP_ENHANCE, STEP_CAPTION]
STEP_LABELS = {
    STEP_SWAP: "Face swap",
    STEP_CROP: "1024² crop",
    STEP_ENHANCE: "Enhance",
    STEP_CAPTION: "Caption",
}
# What each step is priced as (billing.prices); the crop is free.
STEP_PRICES = {STEP_SWAP: "dataset_swap", STEP_ENHANCE: "dataset_enhance", STEP_CAPTION: "dataset_caption"}
# What each paid step is routed to (providers.registry).
STEP_OPERATIONS = {STEP_SWAP: "face_swap", STEP_ENHANCE: "upscale", STEP_CAPTION: "chat"}


def step_credits(step: str) -> int:
    return operation_credits(STEP_PRICES[step]) if step in STEP_PRICES else 0


def steps_credits(steps) -> int:
    return sum(step_credits(step) for step in steps)
