"""Settings of the AI tools (docs/tools.md): how long a file colour grading and audio cleanup take,
read from the environment like the rest of ``config.settings``, which star-imports ``__all__``."""

from __future__ import annotations

from config.environment import env

__all__ = [
    "TOOLS_AUDIO_MAX_SECONDS",
    "TOOLS_GRADE_VIDEO_MAX_SECONDS",
    "TOOLS_TIMEOUT_SECONDS",
]

# Audio cleanup refuses longer files (an audio file, or a video's sound): one hour by default.
TOOLS_AUDIO_MAX_SECONDS = env.int("TOOLS_AUDIO_MAX_SECONDS", default=3600)
# Colour grading refuses longer videos: ten minutes by default (a 1080p minute takes ~30 s on 2 cores).
TOOLS_GRADE_VIDEO_MAX_SECONDS = env.int("TOOLS_GRADE_VIDEO_MAX_SECONDS", default=600)
# A tool's ffmpeg run is stopped (and the job fails, its credits returned) after this long.
TOOLS_TIMEOUT_SECONDS = env.int("TOOLS_TIMEOUT_SECONDS", default=1800)
