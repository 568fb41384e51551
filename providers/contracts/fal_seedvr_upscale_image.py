"""fal-ai/seedvr/upscale/image: ``image_url`` upscaled by a factor or to a target resolution."""

from typing import Literal

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Seed, Strict, content_type, source_or

TARGET_HEIGHTS = {"720p": 720, "1080p": 1080, "1440p": 1440, "2160p": 2160}


class Input(Strict):
    image_url: str
    upscale_mode: Literal["target", "factor"] | None = None
    upscale_factor: float | None = None
    target_resolution: Literal["720p", "1080p", "1440p", "2160p"] | None = None
    noise_scale: float | None = None
    output_format: Literal["png", "jpg", "webp"] | None = None
    seed: Seed | None = None
    sync_mode: bool | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    width, height = source_or(files, arguments["image_url"], (512, 384))
    if arguments.get("upscale_mode") == "target":
        scale = TARGET_HEIGHTS[arguments.get("target_resolution") or "1080p"] / height
    else:
        scale = float(arguments.get("upscale_factor") or 2)
    kind = content_type(arguments.get("output_format"), "jpg")
    image = files.image(width=round(width * scale), height=round(height * scale), content_type=kind)
    return {"image": image, "seed": arguments.get("seed", 1234567)}


CONTRACT = Contract("fal", "fal-ai/seedvr/upscale/image", Input, sample_output)
