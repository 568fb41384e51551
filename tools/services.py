"""Starting, running, cancelling and retrying a tool job (``ToolJob``), whatever the tool.

Each tool module (``tools.grading``, ``tools.audio``) checks what it is asked and makes the file;
this module is the job around it: the credit hold (``jobs.engine.job_start``), the worker's run
(queued → running with a per-cent progress → the result in the library as a child of its source,
with its recipe → settled by ``jobs.engine.job_finish``), a cancel that stops ffmpeg mid-run and
keeps nothing, and a retry as a new job with a new hold.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_file, asset_create_from_file, asset_delete
from billing.prices import operation_credits
from billing.services import InsufficientCredits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from jobs import engine
from orgs.models import Organization
from tools import ffmpeg
from tools.models import ToolJob

log = logging.getLogger(__name__)

OPERATIONS: dict[str, str] = {ToolJob.Kind.GRADE: "color_grade", ToolJob.Kind.AUDIO: "audio_cleanup"}


class Made:
    """What a tool made: the file, its name and title in the library, and its recipe; ``mime``
    for a file the library keeps as it is (an audio file), '' for an image or a video."""

    def __init__(self, path: Path, filename: str, title: str, recipe: dict, *, mime: str = ""):
        self.path, self.filename, self.title, self.recipe, self.mime = path, filename, title, recipe, mime


def _store(job: ToolJob, made: Made) -> Asset:
    """Put what the tool made in the library: a child of its source, with its recipe."""
    assert job.source is not None
    metadata = {"recipe": {**made.recipe, "job": str(job.public_id)}}
    if not made.mime:
        return asset_create_from_file(
            org=job.org,
            path=made.path,
            filename=made.filename,
            title=made.title,
            source=Asset.Source.EDITED,
            created_by=job.created_by,
            parents=[job.source],
            metadata=metadata,
            nsfw=job.source.nsfw,
        )
    key = f"{storage.org_prefix(job.org)}/audio/{uuid.uuid4()}{made.path.suffix}"
    with made.path.open("rb") as fh:
        key = storage.storage().save(key, File(fh))
    asset = asset_create_file(
        org=job.org,
        key=key,
        filename=made.filename,
        title=made.title,
        mime=made.mime,
        source=Asset.Source.EDITED,
        created_by=job.created_by,
        metadata={**metadata, "media": {"audio_format": made.path.suffix.lstrip(".")}},
    )
    asset.parents.add(job.source)
    duration = ffmpeg.duration_of(ffmpeg.probe(made.path))
    Asset.objects.filter(pk=asset.pk).update(duration=duration)
    asset.duration = duration
    return asset


def tool_credits(kind: str) -> int:
    return operation_credits(OPERATIONS[kind])


def refusal(exc: InsufficientCredits) -> DomainError:
    return DomainError(f"{exc.message} Nothing was queued.")


def tool_start(
    *,
    org: Organization,
    user: User | None,
    kind: str,
    source: Asset,
    params: dict,
    key: str = "",
    retry_of: ToolJob | None = None,
) -> ToolJob:
    """Hold the tool's credits and queue the job; the worker runs it after commit."""
    from tools import tasks

    job, created = engine.job_start_created(
        ToolJob,
        org=org,
        user=user,
        key=key,
        credits=tool_credits(kind),
        operation=OPERATIONS[kind],
        hold_description=f"{ToolJob.Kind(kind).label} of “{source.title[:80]}”",
        refusal=refusal,
        kind=kind,
        params=params,
        source=source,
        source_title=source.title[:200],
        retry_of=retry_of,
    )
    if created:
        transaction.on_commit(lambda: tasks.tool_run.delay(job.pk))
        track("tool_started", org=org, user=user, tool=kind, job_id=str(job.public_id))
    return job


def _maker(kind: str) -> Callable[[ToolJob, Path, Callable[[float], bool]], Made]:
    from tools import audio, grading

    makers: dict[str, Callable[[ToolJob, Path, Callable[[float], bool]], Made]] = {
        ToolJob.Kind.GRADE: grading.render,
        ToolJob.Kind.AUDIO: audio.render,
    }
    return makers[kind]


def progress_reporter(job_id: int) -> Callable[[float], bool]:
    """Record ``fraction`` done; False once the job was cancelled (the work then stops)."""

    def report(fraction: float) -> bool:
        percent = max(1, min(99, int(fraction * 100)))
        return ToolJob.objects.filter(pk=job_id, status__in=ACTIVE).update(progress=percent) == 1

    return report


def tool_run(job_id: int) -> None:
    """Do the job (the worker's ``tools.tasks.tool_run``). Idempotent: a redelivered task finds
    the job settled, or does it again."""
    job = ToolJob.objects.select_related("org", "source", "created_by").get(pk=job_id)
    if job.status not in ACTIVE:
        return
    transition(ToolJob, job_id, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now())
    if job.source is None:
        engine.job_finish_if_active(ToolJob, job_id, JobStatus.FAILED, "The original was deleted before it ran.")
        return
    report = progress_reporter(job_id)
    asset = None
    try:
        with ffmpeg.workdir(job.kind) as work:
            made = _maker(job.kind)(job, work, report)
            if not report(0.99):
                return
            asset = _store(job, made)
    except ffmpeg.Stopped:
        return
    except (DomainError, media.MediaError) as exc:
        engine.job_finish_if_active(ToolJob, job_id, JobStatus.FAILED, str(exc.message))
        return
    Asset.objects.filter(pk=asset.pk).update(credits_cost=job.credits)
    with transaction.atomic():
        locked = engine.job_lock(ToolJob, job_id)
        if locked.status not in ACTIVE:  # cancelled as it finished: keep nothing
            asset_delete(asset=asset)
            return
        engine.job_finish(locked, JobStatus.SUCCEEDED, result=asset, progress=100)
    track("tool_succeeded", org=job.org, user=job.created_by, tool=job.kind, job_id=str(job.public_id))


def tool_cancel(*, job: ToolJob, user: User | None) -> None:
    """Stop a queued or running job and return its credits; a running ffmpeg stops at its next report."""
    with transaction.atomic():
        locked = engine.job_lock(ToolJob, job.pk)
        if locked.status not in ACTIVE:
            raise DomainError("This job has already finished.")
        engine.job_finish(locked, JobStatus.CANCELLED, engine.cancelled_by(user))


def tool_retry(*, job: ToolJob, user: User | None) -> ToolJob:
    """Run a failed or cancelled job again, as a new job with a new hold."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError("Only failed or cancelled jobs can be retried.")
    if job.source is None:
        raise DomainError("The original was deleted, so this can't run again.")
    return tool_start(org=job.org, user=user, kind=job.kind, source=job.source, params=job.params, retry_of=job)


RESEND_AFTER = timedelta(minutes=3)
GIVE_UP_AFTER = timedelta(minutes=45)
TOOK_TOO_LONG = "It took too long, so it was stopped. Nothing was charged: retry it."


def sweep(*, now=None) -> int:
    """Beat: jobs whose task was lost are sent again (queued for minutes), or failed if they hang."""
    from tools import tasks

    now = now or timezone.now()
    stalled = ToolJob.objects.filter(status__in=ACTIVE)
    moved = 0
    for job_id in stalled.filter(created_at__lt=now - GIVE_UP_AFTER).values_list("pk", flat=True):
        if engine.job_finish_if_active(ToolJob, job_id, JobStatus.FAILED, TOOK_TOO_LONG):
            moved += 1
    waiting = stalled.filter(status=JobStatus.QUEUED, updated_at__lt=now - RESEND_AFTER)
    for job_id in waiting.values_list("pk", flat=True):
        ToolJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(updated_at=now)
        tasks.tool_run.delay(job_id)
        moved += 1
    return moved
