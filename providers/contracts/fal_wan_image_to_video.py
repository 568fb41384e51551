"""fal-ai/wan/v2.2-a14b/image-to-video (Wan 2.2): ``image_url`` animated as ``prompt`` says, in
its own shape (``aspect_ratio: auto``), 17–161 frames at 4–60 fps, 480p to 720p, no sound.

The fields are the ``/lora`` variant's without ``loras`` (providers.md §7b)."""

from typing import Annotated, Literal

from pydantic import Field

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Seed, Strict, video_output

Quality = Literal["low", "medium", "high", "maximum"]
WriteMode = Literal["fast", "balanced", "small"]


class Input(Strict):
    image_url: str
    prompt: str
    num_frames: Annotated[int, Field(ge=17, le=161)] | None = None
    frames_per_second: Annotated[int, Field(ge=4, le=60)] | None = None
    negative_prompt: str | None = None
    seed: Seed | None = None
    resolution: Literal["480p", "580p", "720p"] | None = None
    aspect_ratio: Literal["auto", "16:9", "9:16", "1:1"] | None = None
    num_inference_steps: Annotated[int, Field(ge=2, le=40)] | None = None
    enable_safety_checker: bool | None = None
    enable_output_safety_checker: bool | None = None
    enable_prompt_expansion: bool | None = None
    acceleration: Literal["none", "regular"] | None = None
    guidance_scale: float | None = None
    guidance_scale_2: float | None = None
    shift: Annotated[float, Field(ge=1, le=10)] | None = None
    interpolator_model: Literal["none", "film", "rife"] | None = None
    num_interpolated_frames: Annotated[int, Field(ge=0, le=4)] | None = None
    adjust_fps_for_interpolation: bool | None = None
    video_quality: Quality | None = None
    video_write_mode: WriteMode | None = None
    reverse_video: bool | None = None
    end_image_url: str | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    fps = int(arguments.get("frames_per_second") or 16)
    frames = int(arguments.get("num_frames") or 81)
    aspect = arguments.get("aspect_ratio") or "auto"
    video = video_output(
        files, aspect="16:9" if aspect == "auto" else aspect, seconds=round(frames / fps, 2), fps=fps, described=False
    )
    return {"video": video, "prompt": arguments.get("prompt", ""), "seed": arguments.get("seed", 1234567)}


CONTRACT = Contract("fal", "fal-ai/wan/v2.2-a14b/image-to-video", Input, sample_output)
