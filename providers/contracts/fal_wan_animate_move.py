"""fal-ai/wan/v2.2-14b/animate/move (Wan 2.2 Animate): the person in ``image_url`` performs the
motion and expressions of ``video_url``. No prompt: the model writes its own."""

from typing import Annotated, Literal

from pydantic import Field

from providers.contracts import Contract, OutputFiles
from providers.contracts.fal_wan_image_to_video import Quality, WriteMode
from providers.contracts.shapes import Seed, Strict, video_output

SAMPLE_SECONDS = 4.0  # the emulator doesn't read the driving video; a real answer is as long as it


class Input(Strict):
    video_url: str
    image_url: str
    guidance_scale: Annotated[float, Field(ge=1, le=10)] | None = None
    resolution: Literal["480p", "580p", "720p"] | None = None
    seed: Seed | None = None
    num_inference_steps: Annotated[int, Field(ge=2, le=40)] | None = None
    enable_safety_checker: bool | None = None
    enable_output_safety_checker: bool | None = None
    shift: Annotated[float, Field(ge=1, le=10)] | None = None
    video_quality: Quality | None = None
    video_write_mode: WriteMode | None = None
    return_frames_zip: bool | None = None
    use_turbo: bool | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    video = video_output(files, aspect="16:9", seconds=SAMPLE_SECONDS, fps=16, described=False)
    return {"video": video, "prompt": "A person moving as in the reference video.", "seed": arguments.get("seed", 42)}


CONTRACT = Contract("fal", "fal-ai/wan/v2.2-14b/animate/move", Input, sample_output)
