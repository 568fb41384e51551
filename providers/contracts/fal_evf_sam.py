"""fal-ai/evf-sam: a mask of what ``prompt`` names in ``image_url`` (one ``image``, not ``images``)."""

import io

from PIL import Image, ImageDraw

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Strict, source_or


class Input(Strict):
    image_url: str
    prompt: str
    negative_prompt: str | None = None
    mask_only: bool | None = None
    fill_holes: bool | None = None
    expand_mask: int | None = None
    blur_mask: int | None = None
    revert_mask: bool | None = None
    semantic_type: bool | None = None
    use_grounding_dino: bool | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    """A black mask with a white block over the middle third (the 'clothes')."""
    width, height = source_or(files, arguments["image_url"])
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).rectangle((width // 3, height // 3, 2 * width // 3, 2 * height // 3), fill=255)
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    image = files.file("mask.png", buffer.getvalue(), "image/png")
    return {"image": {**image, "width": width, "height": height}}


CONTRACT = Contract("fal", "fal-ai/evf-sam", Input, sample_output)
