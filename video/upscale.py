"""Video upscaling (SeedVR2, ``fal-ai/seedvr/upscale/video``) as an operation on a library video.

One ``VideoJob`` (kind ``upscale``) with one hold and one call, like an image upscale. The price
follows what the provider bills, $0.001 per megapixel of output video (width × height × frames), at
the project's 2× margin: one credit per 6 MP (``billing/prices.py``, ``video_upscale``). The result
is a new video in the library, a child of the original.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePath

from django.db import transaction

from accounts.models import User
from assets import media
from assets.models import Asset
from billing.prices import operation_credits
from billing.services import InsufficientCredits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs import engine
from orgs.models import Organization
from providers import gateway, registry
from providers.models import ProviderCall
from video.models import VideoJob

FACTORS = (2, 4)
OPERATION = "video_upscale"
MEGAPIXELS_PER_CREDIT = 6
DEFAULT_FPS = 25.0


@dataclass(frozen=True)
class VideoUpscaleOption:
    factor: int
    credits: int
    width: int
    height: int
    problem: str = ""

    @property
    def allowed(self) -> bool:
        return not self.problem


def video_fps(asset: Asset) -> float:
    return float(((asset.metadata or {}).get("media") or {}).get("fps") or DEFAULT_FPS)


def upscale_credits(width: int, height: int, seconds: float, fps: float) -> int:
    """Credits for an output of ``width`` × ``height`` over ``seconds`` at ``fps``."""
    megapixels = width * height * round(seconds * fps) / 1_000_000
    return operation_credits(OPERATION, max(1, math.ceil(megapixels / MEGAPIXELS_PER_CREDIT)))


def video_upscale_options(asset: Asset) -> list[VideoUpscaleOption]:
    """Each factor with its result size and price, and why it can't be used if it can't."""
    options = []
    for factor in FACTORS:
        width, height = (asset.width or 0) * factor, (asset.height or 0) * factor
        problem = ""
        if max(width, height) > media.LIMITS.max_video_side:
            problem = (
                f"{width:,} × {height:,} px would be over the library's limit of "
                f"{media.LIMITS.max_video_side:,} px on the long side."
            )
        credits = upscale_credits(width, height, asset.duration or 0, video_fps(asset))
        options.append(VideoUpscaleOption(factor, credits, width, height, problem))
    return options


def video_upscale_start(
    *, org: Organization, user: User | None, asset: Asset, factor: int, key: str = "", retry_of: VideoJob | None = None
) -> VideoJob:
    """Queue an upscale of the video ``asset``. Raises ``DomainError`` (``InsufficientCredits`` among them)."""
    if existing := engine.job_by_key(VideoJob, org, key):
        return existing
    if asset.org_id != org.pk:
        raise DomainError("That video isn't in this organisation's library.")
    if asset.kind != Asset.Kind.VIDEO or not asset.width or not asset.duration:
        raise DomainError("Only videos can be upscaled here; images have their own Upscale.")
    option = next((o for o in video_upscale_options(asset) if o.factor == factor), None)
    if option is None:
        raise DomainError("Choose 2× or 4×.", field="factor")
    if not option.allowed:
        raise DomainError(option.problem, field="factor")

    def build(job: VideoJob) -> None:
        job.call = gateway.call_create(
            org=org,
            operation="video_upscale",
            input={
                "video_url": {"$asset": str(asset.public_id), "variant": "original"},
                "upscale_mode": "factor",
                "upscale_factor": factor,
                "output_format": "X264 (.mp4)",
                "output_quality": "high",
            },
            handler=CALL_HANDLER,
            subject=job,
        )

    try:
        return engine.job_start(
            VideoJob,
            org=org,
            user=user,
            key=key,
            credits=option.credits,
            operation=OPERATION,
            hold_description=f"Video upscale {factor}× of “{asset.title}”",
            build=build,
            kind=VideoJob.Kind.UPSCALE,
            params={"factor": factor, "width": option.width, "height": option.height},
            source=asset,
            source_title=asset.title,
            character=asset.character,
            retry_of=retry_of,
        )
    except InsufficientCredits as exc:
        raise DomainError(exc.refusal(f"Upscaling this video {factor}×")) from None


def _deliver(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    with transaction.atomic():
        job = engine.job_lock(VideoJob, job_id, "org", "source", "character")
        if job.status not in ACTIVE:
            return
        factor = job.params.get("factor")
        guard = engine.OutputGuard(
            lambda message, _type: engine.job_finish(job, JobStatus.FAILED, message), last_attempt=last_attempt
        )
        with guard:
            if job.source is None:
                raise engine.Unusable("The original video was deleted while it was being upscaled.", "source_deleted")
            asset = engine.output_to_library(
                call,
                org=job.org,
                filename=f"{PurePath(job.source_title or 'video').stem} upscaled {factor}x.mp4",
                title=f"{job.source_title} · upscaled {factor}×",
                source=Asset.Source.EDITED,
                created_by=job.created_by,
                parents=[job.source],
                recipe=_recipe(job, call),
                nsfw=job.source.nsfw,
                character=job.character,
                credits=job.credits,
                cost_of=job.attempts(),
                video=True,
            )
        if not guard.failed:
            engine.job_finish(job, JobStatus.SUCCEEDED, result=asset)


def _recipe(job: VideoJob, call: ProviderCall) -> dict:
    return {
        "operation": "video_upscale",
        "factor": job.params.get("factor"),
        "provider": call.provider,
        "model": "Lanczos resize (demo provider, not AI)" if call.provider == "demo" else call.endpoint_id,
        "model_label": registry.ENDPOINTS[call.operation].label,
        "source": str(job.source.public_id) if job.source else None,
        "cost": job.credits,
        "job": str(job.public_id),
        "seed": (call.output or {}).get("seed"),
    }


CALL_HANDLER = engine.call_job_handler("video.upscale", VideoJob, succeeded=_deliver)
