"""Settings of identity scoring, lineage and "generate until N keepers" (docs/architecture.md §
Identity, docs/configuration.md), read from the environment like the rest of ``config.settings``,
which star-imports the names in ``__all__``."""

from __future__ import annotations

from config.environment import env

__all__ = [
    "DEMO_FACE_POOL",
    "KEEPERS_BATCH_SIZE",
    "KEEPERS_MAX_BUDGET",
    "LIKENESS_VIDEO_FRAMES_MAX",
]

# Test and benchmark configuration only: face photos (absolute paths) the demo provider pastes into
# its renders instead of the character's face, picked by seed (``providers.adapters.demo_faces``).
# With it set, demo images are scored for likeness (the measurement on the pasted photo is real);
# without it (the default) a demo render is "not scored" and "generate until N keepers" is refused.
DEMO_FACE_POOL = env.list("DEMO_FACE_POOL", default=[])
# "Generate until N keepers": at most this many images per batch, then each is scored before the next.
KEEPERS_BATCH_SIZE = env.int("KEEPERS_BATCH_SIZE", default=4)
# The largest credit budget one keepers run may hold.
KEEPERS_MAX_BUDGET = env.int("KEEPERS_MAX_BUDGET", default=2000)
# A video's likeness: one frame a second is scored, at most this many frames (spread over the clip).
LIKENESS_VIDEO_FRAMES_MAX = env.int("LIKENESS_VIDEO_FRAMES_MAX", default=30)
