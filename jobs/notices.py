"""Every kind of job tells its creator when it ends: one notification per job, sent after the
commit of ``engine.job_finish`` (so a rolled-back end tells nobody), grouped with the same kind's
recent ones ("5 image edits done"), emailed if the person wants that kind by email.

Each kind of job is a notification kind of its own (``job:<kind_key>``), registered at start-up
for the preferences page; a kind says what it wants said with ``Job.notice()``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from jobs import selectors
from jobs.engine import job_models
from jobs.models import Job
from notifications import kinds
from notifications.models import Notification
from notifications.services import Group, notify


def notification_kind(model: type[Job]) -> str:
    return f"job:{selectors.kind_key(model)}"


def kinds_register() -> None:
    """One notification kind per kind of job, for the preferences page."""
    for model in job_models():
        plural = str(model._meta.verbose_name_plural)
        kinds.kind_register(
            notification_kind(model), plural[:1].upper() + plural[1:], f"When {plural} you started finish or fail."
        )


def job_notify(model: type[Job], job_id: int) -> Notification | None:
    """Tell the job's creator how it ended (once its end is committed); nothing for a job that is
    gone, still active, or a kind that has nothing to say about this end."""
    job = model._default_manager.select_related("org", "created_by", *model.centre_related).filter(pk=job_id).first()
    if job is None or job.is_active or job.created_by_id is None:
        return None
    notice = job.notice()
    if notice is None:
        return None
    title, body = notice
    key = selectors.kind_key(model)
    centre = reverse("jobs:centre", args=[job.org.slug]) + "?" + urlencode({"kind": key, "status": job.status})
    return notify(
        org=job.org,
        user=job.created_by,
        kind=notification_kind(model),
        title=title,
        body=body,
        url=selectors.job_link(job) or centre,
        group=Group(
            key=f"{notification_kind(model)}:{job.status}", title=model.notice_group_title(job.status), url=centre
        ),
    )
