"""fal-ai/z-image/turbo: Z-Image Turbo text-to-image (no ``guidance_scale``; png by default)."""

from typing import Literal

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import ImageSizeField, NumImages, Seed, Strict, images_output


class Input(Strict):
    prompt: str
    image_size: ImageSizeField | None = None
    num_inference_steps: int | None = None
    seed: Seed | None = None
    sync_mode: bool | None = None
    num_images: NumImages | None = None
    enable_safety_checker: bool | None = None
    enable_prompt_expansion: bool | None = None
    output_format: Literal["jpeg", "png", "webp"] | None = None
    acceleration: Literal["none", "regular", "high"] | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    return images_output(arguments, files, default_format="png")


CONTRACT = Contract("fal", "fal-ai/z-image/turbo", Input, sample_output)
