"""Job status as JSON, for scripts and for anything that would rather not parse HTML."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import Http404
from ninja import Router, Schema

from assets import storage
from generation.models import EditJob
from orgs.models import Membership

router = Router(tags=["jobs"])


class AssetOut(Schema):
    id: UUID
    title: str
    width: int | None
    height: int | None
    url: str


class JobOut(Schema):
    id: UUID
    kind: str
    label: str
    status: str
    finished: bool
    credits: int
    params: dict
    queue_position: int | None
    error: str
    source: UUID | None
    result: AssetOut | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_json(job: EditJob) -> dict:
    result = None
    if job.result:
        key = job.result.variants.get("preview") or job.result.original_key
        result = {
            "id": job.result.public_id,
            "title": job.result.title,
            "width": job.result.width,
            "height": job.result.height,
            "url": storage.signed_url(job.org, key),
        }
    return {
        "id": job.public_id,
        "kind": job.kind,
        "label": job.label,
        "status": job.status,
        "finished": not job.is_active,
        "credits": job.credits,
        "params": job.params,
        "queue_position": job.call.queue_position if job.call and job.status == "queued" else None,
        "error": job.error,
        "source": job.source.public_id if job.source else None,
        "result": result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@router.get("{job_id}", response=JobOut, summary="A job's status")
def job_status(request, job_id: UUID):
    """Status of an edit job in one of your organisations; 404 for anything else."""
    orgs = Membership.objects.filter(user_id=request.user.pk).values("org_id")
    job = (
        EditJob.objects.filter(public_id=job_id, org_id__in=orgs)
        .select_related("org", "source", "result", "call")
        .first()
    )
    if job is None:
        raise Http404
    return job_json(job)
