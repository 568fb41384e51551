"""Edit jobs: start, settle, cancel and retry. Upscale lives here; inpaint and clothing changes
follow its shape in ``generation.edits``, and this module's handler and retry dispatch to it by kind.

Starting a job is one transaction: the job row, a credit hold (refused if the org can't cover it)
and a provider call that a worker submits after commit. The gateway calls ``edit_job_on_call``
when the call starts running and when it finishes; finishing copies the result into the library
as a child of the source and captures the hold, or fails the job and releases it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePath

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from assets import media
from assets.models import Asset
from assets.services import asset_create_from_file
from billing.prices import operation_credits
from billing.services import hold_capture, hold_release, hold_reserve
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from generation import edits
from generation.models import EditJob
from orgs.models import Organization
from providers import gateway, registry
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

log = logging.getLogger(__name__)

UPSCALE_FACTORS = (2, 4, 5)
HANDLER = "generation.services.edit_job_on_call"


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
    if key:
        existing = EditJob.objects.for_org(org).filter(idempotency_key=key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return _upscale_create(org, user, asset, option, key, retry_of)
    except IntegrityError:
        existing = EditJob.objects.for_org(org).filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing


def _upscale_create(org, user, asset, option: UpscaleOption, key: str, retry_of) -> EditJob:
    job = EditJob.objects.create(
        org=org,
        kind=EditJob.Kind.UPSCALE,
        params={"factor": option.factor},
        source=asset,
        source_title=asset.title,
        operation=option.operation,
        credits=option.credits,
        created_by=user,
        idempotency_key=key or None,
        retry_of=retry_of,
    )
    job.hold = hold_reserve(
        org=org,
        amount=option.credits,
        key=f"edit:{job.public_id}",
        operation=option.operation,
        description=f"Upscale {option.factor}× of “{asset.title}”",
        subject=job,
        user=user,
    )
    job.call = gateway.call_create(
        org=org,
        operation="upscale",
        input={
            "image_url": {"$asset": str(asset.public_id)},
            "upscale_factor": option.factor,
            "upscale_mode": "factor",
            "output_format": "jpg",
        },
        handler=HANDLER,
    )
    job.save(update_fields=["hold", "call", "updated_at"])
    return job


# --- Settling: called by the gateway -------------------------------------------------------


def edit_job_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    job = EditJob.objects.filter(call_id=call.pk).first()
    if job is None:
        log.warning("provider call %s has no edit job", call.pk)
        return
    if event == "running":
        transition(EditJob, job.pk, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now())
        return
    if job.kind != EditJob.Kind.UPSCALE:
        edits.edit_job_settle(job.pk, call, last_attempt=last_attempt)
        return
    if call.status == ProviderCall.Status.SUCCEEDED:
        _deliver(job.pk, call, last_attempt=last_attempt)
    elif call.status == ProviderCall.Status.CANCELLED:
        _settle_unsuccessful(job.pk, JobStatus.CANCELLED, call.error or "Cancelled.")
    else:
        _settle_unsuccessful(job.pk, JobStatus.FAILED, call.error or "The provider failed without saying why.")


def _deliver(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """Copy the result into the library and capture the credits, once.

    The job row stays locked while the file is copied, so a cancel waits and then sees the job
    done; a redelivered task finds it done and does nothing.
    """
    with transaction.atomic():
        job = EditJob.objects.select_for_update(of=("self",)).select_related("org", "source", "hold").get(pk=job_id)
        if job.status not in ACTIVE:
            return
        factor = job.params.get("factor")
        try:
            with gateway.output_download(call, gateway.output_image_url(call.output)) as path:
                asset = asset_create_from_file(
                    org=job.org,
                    path=path,
                    filename=f"{PurePath(job.source_title or 'image').stem} upscaled {factor}x.jpg",
                    title=f"{job.source_title} · upscaled {factor}×",
                    source=Asset.Source.EDITED,
                    created_by=job.created_by,
                    parents=[job.source] if job.source else [],
                    metadata={"recipe": _recipe(job, call)},
                )
        except ProviderError as exc:
            if exc.transient and not last_attempt:
                raise
            _fail_locked(job, JobStatus.FAILED, exc.message)
            return
        except media.MediaError as exc:
            _fail_locked(job, JobStatus.FAILED, f"The provider's result wasn't a usable image: {exc}")
            return
        if asset.near_duplicate_of_id and job.source and asset.near_duplicate_of_id == job.source.pk:
            Asset.objects.filter(pk=asset.pk).update(near_duplicate_of=None)  # of course it looks like its source
        job.status, job.result, job.finished_at, job.error = JobStatus.SUCCEEDED, asset, timezone.now(), ""
        job.save(update_fields=["status", "result", "finished_at", "error", "updated_at"])
        if job.hold:
            hold_capture(hold=job.hold)


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


def _fail_locked(job: EditJob, status: str, error: str) -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if job.hold:
        hold_release(hold=job.hold, reason=error)


@transaction.atomic
def _settle_unsuccessful(job_id: int, status: str, error: str) -> None:
    job = EditJob.objects.select_for_update(of=("self",)).select_related("hold").get(pk=job_id)
    if job.status in ACTIVE:
        _fail_locked(job, status, error)


# --- What people do ------------------------------------------------------------------------


@transaction.atomic
def edit_job_cancel(*, job: EditJob, user: User | None) -> None:
    """Stop a queued or running job and return its credits."""
    locked = EditJob.objects.select_for_update(of=("self",)).select_related("hold", "call").get(pk=job.pk)
    if locked.status not in ACTIVE:
        raise DomainError("This job has already finished.")
    who = user.display_name if user else "support"
    _fail_locked(locked, JobStatus.CANCELLED, f"Cancelled by {who}.")
    if locked.call:
        gateway.call_cancel(locked.call, reason=f"Cancelled by {who}.")


def edit_job_retry(*, job: EditJob, user: User | None) -> EditJob:
    """Run a failed or cancelled job again, as a new job with a new hold."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError("Only failed or cancelled jobs can be retried.")
    if job.source is None:
        raise DomainError("The original image was deleted, so this can't run again.")
    if job.kind != EditJob.Kind.UPSCALE:
        return edits.edit_job_rerun(job=job, user=user)
    return upscale_start(org=job.org, user=user, asset=job.source, factor=job.params.get("factor", 2), retry_of=job)
