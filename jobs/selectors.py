"""Reads for the job centre: every kind of job (``engine.job_models()``) of one organisation, newest
first, filtered, with progress, an ETA and the credits, in a few queries whatever the number of jobs.

A page is the union of one query per kind, each limited to a page's worth and ordered by
``created_at``; the rows are merged in Python and the next page starts before the last one shown
(a cursor, so deep pages cost what the first does). Nothing here knows a kind by name: it reads
each model's metadata and the hooks of ``jobs.models.Job``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone

from accounts.models import User
from core.jobs import ACTIVE, JobStatus
from core.lookups import one_or_404
from jobs.engine import job_models
from jobs.models import Job, JobItem
from orgs.models import Organization

STATUSES = {
    "active": ACTIVE,
    "succeeded": (JobStatus.SUCCEEDED,),
    "failed": (JobStatus.FAILED,),
    "cancelled": (JobStatus.CANCELLED,),
}
PERIODS = {"today": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
PAGE_SIZE = 30


def kind_key(model: type[Job]) -> str:
    """ "generation-editjob": a kind's name in URLs and filters."""
    return f"{model._meta.app_label}-{model._meta.model_name}"


def job_kinds() -> dict[str, type[Job]]:
    """Every kind by its key, in the order of their labels."""
    return {kind_key(m): m for m in sorted(job_models(), key=lambda m: m.kind_label())}


def kind_model(key: str) -> type[Job]:
    """The kind named ``key``; a 404 for a name no kind has."""
    model = job_kinds().get(key)
    if model is None:
        raise Http404("No such kind of job.")
    return model


def item_relation(model: type[Job]) -> str | None:
    """The query name of the kind's ``JobItem`` children (a pack's images), if it has any."""
    for rel in model._meta.related_objects:
        if rel.one_to_many and issubclass(rel.related_model, JobItem):
            return rel.field.related_query_name()
    return None


@dataclass(frozen=True)
class JobFilter:
    kind: str = ""  # a kind_key, or "" for all
    status: str = ""  # a key of STATUSES, or ""
    who: User | None = None  # started by
    period: str = ""  # a key of PERIODS, or ""
    before: datetime | None = None  # the cursor: created before this

    def models(self) -> list[type[Job]]:
        kinds = job_kinds()
        return [kinds[self.kind]] if self.kind in kinds else list(kinds.values())


def _rows(model: type[Job], org: Organization, where: JobFilter, now: datetime) -> QuerySet[Job]:
    rows = model._default_manager.filter(org=org).select_related("hold", "created_by", *model.centre_related)
    if where.status in STATUSES:
        rows = rows.filter(status__in=STATUSES[where.status])
    if where.who is not None:
        rows = rows.filter(created_by=where.who)
    if where.period in PERIODS:
        rows = rows.filter(created_at__gte=now - PERIODS[where.period])
    if where.before is not None:
        rows = rows.filter(created_at__lt=where.before)
    if (items := item_relation(model)) is not None:
        rows = rows.annotate(
            centre_items_total=Count(items, distinct=True),
            centre_items_done=Count(items, filter=~Q(**{f"{items}__status__in": ACTIVE}), distinct=True),
        )
    return rows.order_by("-created_at", "-id")


@dataclass(frozen=True)
class JobRow:
    """A job as the job centre shows it."""

    job: Job
    kind: str  # kind_key
    title: str
    link: str  # "" when its page is gone
    progress: int | None  # percent, measured or estimated; None when nothing says
    estimated: bool  # progress is the ETA's estimate, not measured
    eta: datetime | None

    @property
    def can_cancel(self) -> bool:
        return self.job.is_active and type(self.job).can_cancel()

    @property
    def can_retry(self) -> bool:
        return self.job.status in (JobStatus.FAILED, JobStatus.CANCELLED) and type(self.job).can_retry()


@dataclass
class JobPage:
    rows: list[JobRow]
    next_before: datetime | None  # the cursor of the next (older) page, None on the last one

    @property
    def any_active(self) -> bool:
        return any(row.job.is_active for row in self.rows)


def job_page(org: Organization, where: JobFilter, *, size: int = PAGE_SIZE) -> JobPage:
    """One page of the organisation's jobs of every kind (or ``where.kind``), newest first: one
    query per kind, each limited to ``size + 1`` rows, then ETAs in one query per kind and operation
    among the active ones."""
    now = timezone.now()
    found: list[Job] = []
    for model in where.models():
        found.extend(_rows(model, org, where, now)[: size + 1])
    found.sort(key=lambda job: job.created_at, reverse=True)
    jobs, more = found[:size], len(found) > size
    for job in jobs:
        _share_org(job, org)
    return JobPage(rows=job_rows(jobs, now=now), next_before=jobs[-1].created_at if more and jobs else None)


def _share_org(job: Job, org: Organization) -> None:
    """The links need the organisation's slug: give the row, and the relations loaded with it, the
    organisation already in hand rather than a query each."""
    job.org = org
    for name in type(job).centre_related:
        related = getattr(job, name.split("__")[0], None)
        if related is not None and getattr(related, "org_id", None) == org.pk:
            related.org = org


def job_rows(jobs: list[Job], *, now: datetime | None = None) -> list[JobRow]:
    """Rows for ``jobs``, with ETAs from one query per kind and operation among the active ones."""
    now = now or timezone.now()
    typical: dict[tuple[type[Job], str], timedelta | None] = {}
    rows = []
    for job in jobs:
        progress, estimated, eta = job.progress_percent(), False, None
        if job.is_active:
            key = (type(job), job.operation)
            if key not in typical:
                typical[key] = typical_duration(type(job), job.operation)
            took = typical[key]
            if took is not None and took.total_seconds() > 0:
                eta = max(job.created_at + took, now)
                if progress is None:
                    elapsed = (now - job.created_at).total_seconds()
                    progress, estimated = min(95, round(100 * elapsed / took.total_seconds())), True
        rows.append(
            JobRow(
                job=job,
                kind=kind_key(type(job)),
                title=job.centre_title(),
                link=job_link(job),
                progress=progress,
                estimated=estimated,
                eta=eta,
            )
        )
    return rows


def job_get(org: Organization, kind: str, public_id) -> Job:
    """One job of the organisation, by its kind's key and public id; a 404 for another org's, a
    malformed id or an unknown kind, alike."""
    model = kind_model(kind)
    job = one_or_404(model._default_manager.filter(org=org).select_related("hold", *model.centre_related), public_id)
    _share_org(job, org)
    return job


def job_link(job: Job) -> str:
    """Where its progress or result is seen; "" when that page is gone (its character was deleted)."""
    try:
        return str(job.get_absolute_url())  # type: ignore[attr-defined]
    except (AttributeError, NoReverseMatch, ObjectDoesNotExist):
        return ""


# --- ETA --------------------------------------------------------------------------------------------


def typical_duration(model: type[Job], operation: str, *, sample: int | None = None) -> timedelta | None:
    """The median time from asking to done of the last ``sample`` succeeded jobs of this kind and
    ``operation`` (any organisation's: the provider's speed is everyone's); None before the first."""
    sample = sample or settings.JOB_CENTRE_ETA_SAMPLE
    durations = list(
        model._default_manager.filter(status=JobStatus.SUCCEEDED, operation=operation, finished_at__isnull=False)
        .order_by("-finished_at")
        .annotate(took=F("finished_at") - F("created_at"))
        .values_list("took", flat=True)[:sample]
    )
    return statistics.median(durations) if durations else None
