"""arielreplicate/robust_video_matting: the person in ``input_video`` on a green screen, or its alpha mask."""

from typing import Literal

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Strict

VERSION = "73d2128a371922d5d1abf0712a1d974be0e4e2358cc1218e4e34714767232bac"


class Input(Strict):
    input_video: str
    output_type: Literal["green-screen", "alpha-mask"] | None = None


def sample_output(arguments: dict, files: OutputFiles) -> str:
    """The output is one video URL (a string, not a file object)."""
    # The 'ftyp' box that starts an MP4; enough for anything that sniffs the type.
    video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)
    return files.file("output.mp4", video, "video/mp4")["url"]


CONTRACT = Contract("replicate", f"arielreplicate/robust_video_matting:{VERSION}", Input, sample_output)
