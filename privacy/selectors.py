"""Reads for the Data & privacy page: running work, the latest export, what blocks an account's deletion."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import User
from core.jobs import ACTIVE
from jobs.engine import job_models
from orgs.models import Membership, Organization, Role
from privacy.models import DataExport


@dataclass(frozen=True)
class RunningJob:
    label: str
    url: str


def running_jobs(org: Organization) -> list[RunningJob]:
    """Every job of ``org`` that is queued or running, of every kind, with a page to watch or stop it."""
    found = []
    for model in job_models():
        for job in model._default_manager.filter(org=org, status__in=ACTIVE).select_related("org"):
            url = job.get_absolute_url() if hasattr(job, "get_absolute_url") else ""
            found.append(RunningJob(label=str(job), url=url))
    return found


def latest_export(org: Organization) -> DataExport | None:
    return DataExport.objects.for_org(org).order_by("-created_at", "-id").first()


def export_or_none(org: Organization, public_id) -> DataExport | None:
    return DataExport.objects.for_org(org).filter(public_id=public_id).first()


@dataclass(frozen=True)
class SoleOwnership:
    org: Organization
    other_members: int


def sole_ownerships(user: User) -> list[SoleOwnership]:
    """The organisations ``user`` is the only owner of and that aren't already being deleted: each
    must get another owner, or be deleted, before the account can go."""
    memberships = (
        Membership.objects.filter(user=user, role=Role.OWNER, org__deletion_due_at__isnull=True)
        .select_related("org")
        .annotate(
            owners=Count("org__memberships", filter=Q(org__memberships__role=Role.OWNER), distinct=True),
            members=Count("org__memberships", distinct=True),
        )
    )
    return [SoleOwnership(org=m.org, other_members=m.members - 1) for m in memberships if m.owners == 1]
