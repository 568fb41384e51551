"""Settings of the job centre, the priority queue and notifications (docs/configuration.md), read
from the environment like the rest of ``config.settings``, which star-imports the names in ``__all__``."""

from __future__ import annotations

from config.environment import env

__all__ = [
    "CELERY_PRIORITY_FREE",
    "CELERY_PRIORITY_PAID",
    "JOB_CENTRE_ETA_SAMPLE",
    "NOTIFICATION_GROUP_MINUTES",
]

# Celery priorities on the Redis broker: 0 is taken first, 9 last (kombu's ``priority_steps``
# are 0, 3, 6, 9). Provider work of organisations on a paid plan is queued at
# CELERY_PRIORITY_PAID, that of Free organisations at CELERY_PRIORITY_FREE
# (``billing.limits.queue_priority``); tasks without a priority (emails, webhooks) go at 0.
CELERY_PRIORITY_PAID = env.int("CELERY_PRIORITY_PAID", default=0)
CELERY_PRIORITY_FREE = env.int("CELERY_PRIORITY_FREE", default=6)

# The job centre's ETA: the median duration of this many recent finished jobs of the same operation.
JOB_CENTRE_ETA_SAMPLE = env.int("JOB_CENTRE_ETA_SAMPLE", default=20)

# Notifications of the same kind for the same person within this many minutes, while unread, are
# grouped into one ("5 upscales finished"); only the first of a group is emailed.
NOTIFICATION_GROUP_MINUTES = env.int("NOTIFICATION_GROUP_MINUTES", default=15)
