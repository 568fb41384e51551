"""The job centre's actions on a job of any kind: cancel and retry, through the kind's own hooks
(``Job.centre_cancel`` / ``Job.centre_retry``), refused in plain words where the kind can't; and
retry of an activity (an import, a data export) through its source's hook."""

from __future__ import annotations

from accounts.models import User
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs.activities import Activity
from jobs.models import Job
from orgs.models import Membership


def job_cancel(*, job: Job, user: User | None) -> None:
    """Cancel an active job; its unused credits come back (the kind's cancel settles them)."""
    if job.status not in ACTIVE:
        raise DomainError(f"This {job._meta.verbose_name} has already finished: there is nothing to cancel.")
    job.centre_cancel(user)  # a kind that can't be cancelled refuses in its own words


def job_retry(*, job: Job, user: User | None) -> Job:
    """Start a failed or cancelled job again, as a new job with a new hold."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError(f"Only a failed or cancelled {job._meta.verbose_name} can be retried.")
    return job.centre_retry(user)


def activity_retry(*, activity: Activity, membership: Membership) -> Activity:
    """Start a failed import or export again, as a new one (the source's own start, with its checks)."""
    label = activity.kind_label().lower()
    if activity.status != JobStatus.FAILED:
        raise DomainError(f"Only a failed {label} can be tried again.")
    if activity.source.retry is None:
        raise DomainError(f"A failed {label} can't be started again from here: open it to start a new one.")
    return Activity(activity.source, activity.source.retry(activity.obj, membership))
