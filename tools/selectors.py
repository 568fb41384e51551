"""Reads for the Tools pages: jobs, the items each tool can work on, the organisation's LUTs."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from assets.models import Asset
from core.lookups import one_or_404
from orgs.models import Organization
from tools.models import Lut, MatteJob, ToolJob


def tool_jobs(org: Organization, kind: str = "") -> QuerySet[ToolJob]:
    jobs = ToolJob.objects.for_org(org).select_related("org", "source", "result", "created_by", "retry_of")
    return jobs.filter(kind=kind) if kind else jobs


def tool_job_or_404(org: Organization, public_id) -> ToolJob:
    return one_or_404(tool_jobs(org), public_id)


def jobs_for_asset(asset: Asset, limit: int = 5) -> list[ToolJob]:
    return list(tool_jobs(asset.org).filter(source=asset)[:limit])


def gradable(org: Organization, limit: int = 18) -> list[Asset]:
    """The newest images and videos, to choose one to grade."""
    rows = Asset.objects.for_org(org).filter(kind__in=[Asset.Kind.IMAGE, Asset.Kind.VIDEO])
    return list(rows.order_by("-created_at", "-id")[:limit])


def with_sound(org: Organization, limit: int = 60) -> list[Asset]:
    """Audio files and videos with sound, newest first: what audio cleanup works on."""
    rows = Asset.objects.for_org(org).filter(
        Q(kind=Asset.Kind.FILE, mime__startswith="audio/") | Q(kind=Asset.Kind.VIDEO, metadata__media__has_audio=True)
    )
    return list(rows.order_by("-created_at", "-id")[:limit])


def luts(org: Organization) -> QuerySet[Lut]:
    return Lut.objects.for_org(org)


def lut_or_404(org: Organization, public_id) -> Lut:
    return one_or_404(luts(org), public_id)


# --- Image → 3D ----------------------------------------------------------------------------------


def mesh_jobs(org: Organization):
    from tools.models import MeshJob

    return MeshJob.objects.for_org(org).select_related("org", "source", "result", "created_by", "retry_of")


def mesh_job_or_404(org: Organization, public_id):
    return one_or_404(mesh_jobs(org), public_id)


def mesh_jobs_for_asset(asset: Asset, limit: int = 5) -> list:
    return list(mesh_jobs(asset.org).filter(source=asset)[:limit])


def images(org: Organization, limit: int = 24) -> list[Asset]:
    """The newest images, to choose one to make a 3D model of."""
    rows = Asset.objects.for_org(org).filter(kind=Asset.Kind.IMAGE)
    return list(rows.order_by("-created_at", "-id")[:limit])


# --- Rotoscoping ----------------------------------------------------------------------------------


def matte_jobs(org: Organization) -> QuerySet[MatteJob]:
    return MatteJob.objects.for_org(org).select_related(
        "org", "source", "result", "preview", "call", "created_by", "retry_of"
    )


def matte_job_or_404(org: Organization, public_id) -> MatteJob:
    return one_or_404(matte_jobs(org), public_id)


def matte_jobs_for_asset(asset: Asset, limit: int = 5) -> list[MatteJob]:
    return list(matte_jobs(asset.org).filter(source=asset)[:limit])


def videos(org: Organization, limit: int = 30) -> list[Asset]:
    """The newest videos, to choose one to rotoscope."""
    rows = Asset.objects.for_org(org).filter(kind=Asset.Kind.VIDEO)
    return list(rows.order_by("-created_at", "-id")[:limit])


def latest_runs(org: Organization, limit: int = 12) -> list:
    """The newest runs of every tool, newest first: grades and cleanups, 3D models, rotoscoping."""
    rows = [*tool_jobs(org)[:limit], *mesh_jobs(org)[:limit], *matte_jobs(org)[:limit]]
    return sorted(rows, key=lambda job: (job.created_at, job.pk), reverse=True)[:limit]
