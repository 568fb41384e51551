"""The Celery app: named queues, one per workload, and the static beat schedule in settings."""

import os

from kombu import Exchange, Queue

from config.embedded import ensure_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ensure_services()

from celery import Celery  # noqa: E402

QUEUES = ("default", "generation", "video", "training", "email")

app = Celery("personae")
app.config_from_object("django.conf:settings", namespace="CELERY")
# One direct exchange per queue, so a message routed to one queue lands in that queue only.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
app.conf.task_routes = {
    "*.tasks.send_*": {"queue": "email"},
}
app.autodiscover_tasks()
