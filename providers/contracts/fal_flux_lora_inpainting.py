"""fal-ai/flux-lora/inpainting: FLUX.1 [dev] with LoRA weights, repainting ``mask_url``'s white area."""

from providers.contracts import Contract, OutputFiles
from providers.contracts.fal_flux_lora import Input as TextToImage
from providers.contracts.shapes import images_output, source_or


class Input(TextToImage):
    image_url: str
    mask_url: str
    strength: float | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    size = None if arguments.get("image_size") else source_or(files, arguments["image_url"])
    return images_output(arguments, files, size=size)


CONTRACT = Contract("fal", "fal-ai/flux-lora/inpainting", Input, sample_output)
