"""fal-ai/ltx-2/image-to-video (LTX-2 Pro): ``image_url`` animated as ``prompt`` says, 6, 8 or 10 s.

The schema's ``duration`` and ``fps`` are string enums, its only aspect ratio is 16:9 (a portrait
image is cropped to it), and it has no safety-checker switch.
"""

from typing import Literal

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Strict, video_output

Resolution = Literal["1080p", "1440p", "2160p"]


class Input(Strict):
    image_url: str
    prompt: str
    duration: Literal["6", "8", "10"] | None = None
    resolution: Resolution | None = None
    aspect_ratio: Literal["16:9"] | None = None
    fps: Literal["25", "50"] | None = None
    generate_audio: bool | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    seconds = int(arguments.get("duration") or 6)
    fps = int(arguments.get("fps") or 25)
    audio = arguments.get("generate_audio", True) is not False
    return {"video": video_output(files, aspect="16:9", seconds=seconds, fps=fps, audio=audio)}


CONTRACT = Contract("fal", "fal-ai/ltx-2/image-to-video", Input, sample_output)
