"""fal-ai/ltx-2/image-to-video/fast (LTX-2 Fast): as LTX-2 Pro, 6 to 20 s in steps of 2; over 10 s
only at 25 fps and 1080p."""

from typing import Literal

from pydantic import model_validator

from providers.contracts import Contract
from providers.contracts.fal_ltx_2_image_to_video import Input as ProInput
from providers.contracts.fal_ltx_2_image_to_video import sample_output


class Input(ProInput):
    duration: Literal["6", "8", "10", "12", "14", "16", "18", "20"] | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _long_clips_are_1080p_at_25_fps(self):
        if int(self.duration or 6) > 10 and ((self.fps or "25") != "25" or (self.resolution or "1080p") != "1080p"):
            raise ValueError("Durations longer than 10 seconds are only supported with 25 FPS and 1080p resolution")
        return self


CONTRACT = Contract("fal", "fal-ai/ltx-2/image-to-video/fast", Input, sample_output)
