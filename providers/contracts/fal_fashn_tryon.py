"""fal-ai/fashn/tryon/v1.6: the garment in ``garment_image`` put on the person in ``model_image``."""

from typing import Literal

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Seed, Strict, images_output, source_or


class Input(Strict):
    model_image: str
    garment_image: str
    category: Literal["tops", "bottoms", "one-pieces", "auto"] | None = None
    mode: Literal["performance", "balanced", "quality"] | None = None
    garment_photo_type: Literal["auto", "model", "flat-lay"] | None = None
    moderation_level: Literal["none", "permissive", "conservative"] | None = None
    num_samples: int | None = None
    segmentation_free: bool | None = None
    seed: Seed | None = None
    sync_mode: bool | None = None
    output_format: Literal["png", "jpeg"] | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    size = source_or(files, arguments["model_image"], (864, 1296))
    shaped = images_output({**arguments, "num_images": arguments.get("num_samples") or 1}, files, size=size)
    return {"images": shaped["images"]}


CONTRACT = Contract("fal", "fal-ai/fashn/tryon/v1.6", Input, sample_output)
