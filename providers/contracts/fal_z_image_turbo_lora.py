"""fal-ai/z-image/turbo/lora: Z-Image Turbo with up to three LoRAs (``{path, scale}``, no ``force``)."""

from typing import Annotated

from pydantic import Field

from providers.contracts import Contract
from providers.contracts.fal_z_image_turbo import Input as TextToImage
from providers.contracts.fal_z_image_turbo import sample_output
from providers.contracts.shapes import Strict


class LoraInput(Strict):
    path: str
    scale: Annotated[float, Field(ge=0, le=4)] | None = None


class Input(TextToImage):
    loras: Annotated[list[LoraInput], Field(max_length=3)] | None = None


CONTRACT = Contract("fal", "fal-ai/z-image/turbo/lora", Input, sample_output)
