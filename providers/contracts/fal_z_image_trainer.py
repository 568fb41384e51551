"""fal-ai/z-image-trainer: a Z-Image LoRA from a zip of photos (``image_data_url``, singular)."""

from typing import Literal

from providers.contracts import Contract
from providers.contracts.shapes import Strict, trained_lora_output


class Input(Strict):
    image_data_url: str
    default_caption: str | None = None
    learning_rate: float | None = None
    steps: int | None = None
    training_type: Literal["content", "style", "balanced"] | None = None


CONTRACT = Contract("fal", "fal-ai/z-image-trainer", Input, trained_lora_output)
