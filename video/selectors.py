"""Org-scoped reads for video jobs and animations, and where an animation stands."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from assets.models import Asset
from characters.models import Character
from core.jobs import ACTIVE, JobStatus
from core.lookups import one_or_404
from orgs.models import Organization
from video import steps
from video.models import AnimatePipeline, AnimateStep, VideoJob

Kind = AnimateStep.Kind


def video_jobs(org: Organization, *, status: str = "") -> QuerySet[VideoJob]:
    jobs = VideoJob.objects.for_org(org).select_related("org", "source", "result", "call", "created_by", "character")
    if status == "active":
        jobs = jobs.filter(status__in=ACTIVE)
    elif status:
        jobs = jobs.filter(status=status)
    return jobs


def video_job_or_404(org: Organization, public_id) -> VideoJob:
    """The org's video job; 404 for another org's, a missing one or a malformed id (the same answer)."""
    return one_or_404(video_jobs(org).select_related("retry_of"), public_id)


def video_jobs_for_asset(asset: Asset, limit: int = 5) -> list[VideoJob]:
    return list(
        VideoJob.objects.for_org(asset.org_id)
        .filter(source=asset)
        .select_related("org", "result", "call")
        .order_by("-created_at")[:limit]
    )


def videos(org: Organization, limit: int = 24) -> list[Asset]:
    """The org's newest videos, for the Videos page."""
    return list(Asset.objects.for_org(org).filter(kind=Asset.Kind.VIDEO).order_by("-created_at", "-id")[:limit])


def pipelines(org: Organization) -> QuerySet[AnimatePipeline]:
    return (
        AnimatePipeline.objects.for_org(org)
        .select_related("org", "source", "character", "character__base_image", "created_by")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=AnimateStep.objects.select_related("result", "frame", "source", "call", "hold").order_by(
                    "created_at", "id"
                ),
            )
        )
    )


def pipeline_or_404(org: Organization, public_id) -> AnimatePipeline:
    return one_or_404(pipelines(org), public_id, "No such animation.")


def pipelines_for_asset(asset: Asset, limit: int = 5) -> list[AnimatePipeline]:
    return list(pipelines(asset.org).filter(source=asset)[:limit])


def animate_characters(org: Organization) -> list[Character]:
    return list(Character.objects.for_org(org).select_related("org", "avatar", "base_image").order_by("name"))


# --- Where an animation stands ---------------------------------------------------------------------------


@dataclass
class StepView:
    """One step as the page shows it: its newest attempt and the ones before."""

    kind: str
    label: str
    credits: int
    current: AnimateStep | None = None
    earlier: list[AnimateStep] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.current.status if self.current else "waiting"


@dataclass
class PipelineState:
    steps: list[StepView]
    running: AnimateStep | None
    next_kind: str  # the step to run next ('' when the animation is done)
    status: str  # working | stopped | failed | ready | done | waiting
    charged: int  # credits captured so far, over every step
    held: int

    @property
    def is_active(self) -> bool:
        return self.running is not None


def pipeline_state(pipeline: AnimatePipeline) -> PipelineState:
    """Each step's newest attempt, what runs next, and how the animation stands. Reads the
    prefetched steps (``pipelines``): one query for the lot."""
    all_steps = list(pipeline.steps.all())
    views = []
    for kind in AnimateStep.ORDER:
        attempts = [s for s in all_steps if s.kind == kind]
        views.append(
            StepView(
                kind=kind,
                label=Kind(kind).label,
                credits=steps.step_credits(kind, seconds=pipeline.seconds, clothes=pipeline.changes_clothes),
                current=attempts[-1] if attempts else None,
                earlier=list(reversed(attempts[:-1])),
            )
        )
    running = next((s for s in all_steps if s.status in ACTIVE), None)
    next_kind = next((v.kind for v in views if v.status != JobStatus.SUCCEEDED), "")
    if running is not None:
        status = "working"
    elif not next_kind:
        status = "done"
    else:
        current = next(v for v in views if v.kind == next_kind).current
        if current is None:
            status = "ready" if next_kind == Kind.ANIMATE else "waiting"
        else:
            stopped: dict[str, str] = {JobStatus.FAILED: "failed", JobStatus.CANCELLED: "stopped"}
            status = stopped.get(current.status, "waiting")
    charged = sum(s.hold.captured_amount or 0 for s in all_steps if s.hold is not None)
    held = sum(s.credits for s in all_steps if s.status in ACTIVE)
    return PipelineState(views, running, next_kind, status, charged, held)
