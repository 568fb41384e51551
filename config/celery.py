"""The Celery app: named queues, one per workload, the task → queue table, and (in settings) the static
beat schedule."""

import os

from kombu import Exchange, Queue

from config.embedded import ensure_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ensure_services()

from celery import Celery  # noqa: E402

QUEUES = ("default", "generation", "video", "training", "email", "identity")

app = Celery("personae")
app.config_from_object("django.conf:settings", namespace="CELERY")
# One direct exchange per queue, so a message routed to one queue lands in that queue only.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
# Every task that doesn't run on "default" (task_default_queue), by name, so callers just `.delay()`.
# (Celery 5.7 deprecates a `queue=` on the task itself in favour of this setting.) The provider
# gateway alone picks a queue per call, by operation (`gateway.queue_for`); a queue passed to
# `apply_async` wins over this table.
app.conf.task_routes = {
    "core.tasks.send_email": {"queue": "email"},
    # Likeness scoring (dlib, ffmpeg) is CPU work: its own queue and worker, never ahead of provider calls.
    "identity.tasks.asset_score": {"queue": "identity"},
    "identity.tasks.keepers_sweep": {"queue": "identity"},
    "providers.tasks.demo_run": {"queue": "generation"},
    "characters.tasks.training_prepare": {"queue": "training"},
    "characters.tasks.sheet_check": {"queue": "training"},
    "video.tasks.animate_prepare": {"queue": "video"},
    "video.tasks.step_score": {"queue": "identity"},
}
app.autodiscover_tasks()
