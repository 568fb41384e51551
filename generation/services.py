"""Edit jobs: start, settle, cancel and retry. Upscale lives here; inpaint and clothing changes
follow its shape in ``generation.edits``; cancel and retry here serve every kind.

Every edit runs on the job engine (``jobs.engine``): starting is one transaction (the job row, a
credit hold refused if the org can't cover it, and a provider call a worker submits after commit).
The gateway calls ``upscale_on_call`` (registered as ``generation.upscale``) when the call starts
running and when it finishes; finishing copies the result into the library as a child of the
source and captures the hold, or fails the job and releases it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePath

from django.db import transaction

from accounts.models import User
from assets import media
from assets.models import Asset
from assets.services import EDIT_VARIANT
from billing.prices import operation_credits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import edits
from generation.models import EditJob
from jobs import engine
from orgs.models import Organization
from providers import gateway, registry
from providers.models import ProviderCall

log = logging.getLogger(__name__)

UPSCALE_FACTORS = (2, 4, 5)


@dataclass(frozen=True)
class UpscaleOption:
    factor: int
    operation: str
    credits: int
    width: int
    height: int
    problem: str = ""  # why this factor can't be used on this image

    @property
    def allowed(self) -> bool:
        return not self.problem


def upscale_operation(factor: int) -> str:
    return "upscale" if factor <= 4 else "upscale_large"


def upscale_options(asset: Asset) -> list[UpscaleOption]:
    """Each factor with its price and result size, and why it can't be used if it can't."""
    options = []
    for factor in UPSCALE_FACTORS:
        operation = upscale_operation(factor)
        width, height = (asset.width or 0) * factor, (asset.height or 0) * factor
        problem = ""
        if width * height > media.LIMITS.max_image_pixels or max(width, height) > media.LIMITS.max_image_side:
            problem = (
                f"{width:,} × {height:,} px would be over the library's limit of "
                f"{media.LIMITS.max_image_pixels // 1_000_000} MP and {media.LIMITS.max_image_side:,} px a side."
            )
        options.append(UpscaleOption(factor, operation, operation_credits(operation), width, height, problem))
    return options


def upscale_start(
    *, org: Organization, user: User | None, asset: Asset, factor: int, key: str = "", retry_of: EditJob | None = None
) -> EditJob:
    """Queue an upscale of ``asset``. Raises ``DomainError`` (``InsufficientCredits`` among them).

    ``key`` makes a double-click start one job: the second request gets the first's job back.
    """
    if asset.org_id != org.pk:
        raise DomainError("That image isn't in this organisation's library.")
    if asset.kind != Asset.Kind.IMAGE:
        raise DomainError("Only images can be upscaled.")
    option = next((o for o in upscale_options(asset) if o.factor == factor), None)
    if option is None:
        raise DomainError("Choose 2×, 4× or 5×.", field="factor")
    if not option.allowed:
        raise DomainError(option.problem, field="factor")

    def build(job: EditJob) -> None:
        job.call = gateway.call_create(
            org=org,
            operation="upscale",
            input={
                # Full resolution as the library shows it (orientation applied, HEIC decoded).
                "image_url": {"$asset": str(asset.public_id), "variant": EDIT_VARIANT},
                "upscale_factor": option.factor,
                "upscale_mode": "factor",
                "output_format": "jpg",
            },
            handler=CALL_HANDLER,
            subject=job,
        )

    return engine.job_start(
        EditJob,
        org=org,
        user=user,
        key=key,
        credits=option.credits,
        operation=option.operation,
        hold_description=f"Upscale {option.factor}× of “{asset.title}”",
        build=build,
        kind=EditJob.Kind.UPSCALE,
        params={"factor": option.factor},
        source=asset,
        source_title=asset.title,
        retry_of=retry_of,
    )


# --- Settling: called by the gateway -------------------------------------------------------


def _deliver(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """Copy the result into the library and capture the credits, once.

    The job row stays locked while the file is copied, so a cancel waits and then sees the job
    done; a redelivered task finds it done and does nothing.
    """
    with transaction.atomic():
        job = engine.job_lock(EditJob, job_id, "org", "source")
        if job.status not in ACTIVE:
            return
        factor = job.params.get("factor")
        guard = engine.OutputGuard(
            lambda message, _type: engine.job_finish(job, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            asset = engine.output_to_library(
                call,
                org=job.org,
                filename=f"{PurePath(job.source_title or 'image').stem} upscaled {factor}x.jpg",
                title=f"{job.source_title} · upscaled {factor}×",
                source=Asset.Source.EDITED,
                created_by=job.created_by,
                parents=[job.source],
                recipe=_recipe(job, call),
                character=job.source.character if job.source else None,
                credits=job.credits,
                cost_of=job.attempts(),
            )
        if not guard.failed:
            engine.job_finish(job, JobStatus.SUCCEEDED, result=asset)


CALL_HANDLER = engine.call_job_handler("generation.upscale", EditJob, succeeded=_deliver)


def _recipe(job: EditJob, call: ProviderCall) -> dict:
    endpoint = registry.ENDPOINTS[call.operation]
    return {
        "operation": job.kind,
        "factor": job.params.get("factor"),
        "provider": call.provider,
        "model": call.endpoint_id if call.provider != "demo" else "Lanczos resize (demo provider, not AI)",
        "model_label": endpoint.label,
        "source": str(job.source.public_id) if job.source else None,
        "cost": job.credits,
        "job": str(job.public_id),
        "seed": (call.output or {}).get("seed"),
    }


# --- What people do ------------------------------------------------------------------------


@transaction.atomic
def edit_job_cancel(*, job: EditJob, user: User | None) -> None:
    """Stop a queued or running job and return its credits."""
    locked = engine.job_lock(EditJob, job.pk, "call")
    if locked.status not in ACTIVE:
        raise DomainError("This job has already finished.")
    reason = engine.cancelled_by(user)
    engine.job_finish(locked, JobStatus.CANCELLED, reason)
    if locked.call:
        gateway.call_cancel(locked.call, reason=reason)


def edit_job_retry(*, job: EditJob, user: User | None) -> EditJob:
    """Run a failed or cancelled job again, as a new job with a new hold."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError("Only failed or cancelled jobs can be retried.")
    if job.source is None:
        raise DomainError("The original image was deleted, so this can't run again.")
    if job.kind != EditJob.Kind.UPSCALE:
        return edits.edit_job_rerun(job=job, user=user)
    return upscale_start(org=job.org, user=user, asset=job.source, factor=job.params.get("factor", 2), retry_of=job)
