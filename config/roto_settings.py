"""Settings of rotoscoping (docs/tools.md, "Rotoscoping"): how much video one run may matte, by
plan, read from the environment like the rest of ``config.settings``, which star-imports ``__all__``."""

from __future__ import annotations

from config.environment import env

__all__ = [
    "TOOLS_ROTO_MAX_SECONDS",
    "TOOLS_ROTO_PLAN_MAX_SECONDS",
]

# The longest range one rotoscoping run takes, for a plan not named below (a plan added in the
# admin): five minutes. Replicate stops a prediction after 30 minutes; RVM on a T4 does about a
# minute of 1080p in one to two.
TOOLS_ROTO_MAX_SECONDS = env.int("TOOLS_ROTO_MAX_SECONDS", default=300)
# The longest range per plan slug, in seconds, separated by semicolons: "free=30;creator=120;studio=300;agency=600".
TOOLS_ROTO_PLAN_MAX_SECONDS: dict[str, int] = env.dict(
    "TOOLS_ROTO_PLAN_MAX_SECONDS",
    cast={"value": int},
    default={"free": 30, "creator": 120, "studio": 300, "agency": 600},
)
