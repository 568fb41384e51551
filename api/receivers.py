"""Job events for outgoing webhooks, hooked in from the top: when a paid job's row is saved as
finished (``jobs.engine.job_finish`` and a pack's last image both save ``status``), the
organisation's endpoints get ``job.succeeded`` / ``job.failed`` / ``job.cancelled``, after commit.
The lower layers don't know webhooks exist."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from api import webhooks
from characters.models import CharacterJob, TrainingRun
from core.jobs import FINISHED
from generation.models import EditJob, GenerationJob
from video.models import VideoJob

# The jobs customers see (internal steps such as prompt drafts and animation steps aren't sent):
# the kind named in the event, and where the API shows the job.
KINDS = {
    GenerationJob: ("generation", "/api/v1/generations/{id}"),
    EditJob: ("edit", "/api/v1/jobs/{id}"),
    VideoJob: ("video", "/api/v1/videos/{id}"),
    TrainingRun: ("training", "/api/v1/characters/{character}/training"),
    CharacterJob: ("character", "/api/v1/characters/{character}"),
}


def event_data(job) -> dict:
    kind, path = KINDS[type(job)]
    character = getattr(job, "character", None)
    result = getattr(job, "result", None) if hasattr(job, "result_id") else None
    return {
        "kind": kind,
        "id": str(job.public_id),
        "status": job.status,
        "error": job.error,
        "credits": job.credits,
        "character": str(character.public_id) if character is not None else None,
        "result_asset": str(result.public_id) if result is not None else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "api_url": path.format(id=job.public_id, character=character.public_id if character is not None else ""),
    }


@receiver(post_save)
def job_finished(sender, instance, created, update_fields=None, **kwargs) -> None:
    if sender not in KINDS or created or not update_fields or "status" not in update_fields:
        return
    if instance.status not in FINISHED:
        return
    data = event_data(instance)
    org_id = instance.org_id
    transaction.on_commit(lambda: webhooks.event_emit(org_id=org_id, event_type=f"job.{data['status']}", data=data))
