"""fal-ai/seedvr/upscale/video (SeedVR2): ``video_url`` upscaled by a factor (1–10) or to a target
resolution, frame by frame with temporal consistency. Billed per megapixel of output video."""

from typing import Annotated, Literal

from pydantic import Field

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Seed, Strict, video_output

SAMPLE_SECONDS = 4.0  # the emulator doesn't read the input video; a real answer is as long as it


class Input(Strict):
    video_url: str
    upscale_mode: Literal["target", "factor"] | None = None
    upscale_factor: Annotated[float, Field(ge=1, le=10)] | None = None
    target_resolution: Literal["720p", "1080p", "1440p", "2160p"] | None = None
    noise_scale: float | None = None
    output_format: Literal["X264 (.mp4)", "VP9 (.webm)", "PRORES4444 (.mov)", "GIF (.gif)"] | None = None
    output_quality: Literal["low", "medium", "high", "maximum"] | None = None
    output_write_mode: Literal["fast", "balanced", "small"] | None = None
    seed: Seed | None = None
    sync_mode: bool | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    video = video_output(files, aspect="16:9", seconds=SAMPLE_SECONDS, fps=25, described=False)
    return {"video": video, "seed": arguments.get("seed", 1234567)}


CONTRACT = Contract("fal", "fal-ai/seedvr/upscale/video", Input, sample_output)
