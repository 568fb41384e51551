"""fal-ai/flux/dev: FLUX.1 [dev] text-to-image without LoRA."""

from typing import Literal

from providers.contracts import Contract
from providers.contracts.shapes import ImageSizeField, NumImages, Seed, Steps, Strict, images_output


class Input(Strict):
    prompt: str
    image_size: ImageSizeField | None = None
    num_inference_steps: Steps | None = None
    seed: Seed | None = None
    guidance_scale: float | None = None
    sync_mode: bool | None = None
    num_images: NumImages | None = None
    enable_safety_checker: bool | None = None
    output_format: Literal["jpeg", "png"] | None = None
    acceleration: Literal["none", "regular", "high"] | None = None


CONTRACT = Contract("fal", "fal-ai/flux/dev", Input, images_output)
