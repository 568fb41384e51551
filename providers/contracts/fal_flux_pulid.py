"""fal-ai/flux-pulid: FLUX with a face reference (no ``num_images``; ``max_sequence_length`` is a string)."""

from typing import Literal

from providers.contracts import Contract
from providers.contracts.shapes import ImageSizeField, Seed, Steps, Strict, images_output


class Input(Strict):
    prompt: str
    reference_image_url: str
    image_size: ImageSizeField | None = None
    num_inference_steps: Steps | None = None
    seed: Seed | None = None
    guidance_scale: float | None = None
    negative_prompt: str | None = None
    true_cfg: float | None = None
    id_weight: float | None = None
    start_step: int | None = None
    max_sequence_length: Literal["128", "256", "512"] | None = None
    enable_safety_checker: bool | None = None
    sync_mode: bool | None = None


CONTRACT = Contract("fal", "fal-ai/flux-pulid", Input, images_output)
