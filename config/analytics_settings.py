"""Settings of product analytics (docs/analytics.md), read from the environment like the rest
of ``config.settings``, which star-imports the names in ``__all__``."""

from __future__ import annotations

from config.environment import env

__all__ = ["ANALYTICS_DASHBOARD_DAYS", "ANALYTICS_RETENTION_DAYS"]

# Events older than this are deleted every night (analytics.tasks.prune_events).
ANALYTICS_RETENTION_DAYS = env.int("ANALYTICS_RETENTION_DAYS", default=400)
# The window the staff dashboards show by default (they offer 7, 30 and 90 days too).
ANALYTICS_DASHBOARD_DAYS = env.int("ANALYTICS_DASHBOARD_DAYS", default=30)
