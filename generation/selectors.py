"""Org-scoped reads for edit jobs."""

from __future__ import annotations

from generation.models import EditJob


def edit_jobs(org, *, status: str = ""):
    jobs = EditJob.objects.for_org(org).select_related("source", "result", "call", "created_by")
    if status == "active":
        jobs = jobs.filter(status__in=("queued", "running"))
    elif status:
        jobs = jobs.filter(status=status)
    return jobs


def edit_job_get(org, public_id) -> EditJob | None:
    return edit_jobs(org).filter(public_id=public_id).first()


def edit_jobs_for_asset(asset, limit: int = 5) -> list[EditJob]:
    return list(
        EditJob.objects.for_org(asset.org_id)
        .filter(source=asset)
        .select_related("result", "call")
        .order_by("-created_at")[:limit]
    )
