"""The job centre's actions on a job of any kind: cancel and retry, through the kind's own hooks
(``Job.centre_cancel`` / ``Job.centre_retry``), refused in plain words where the kind can't."""

from __future__ import annotations

from accounts.models import User
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs.models import Job


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
