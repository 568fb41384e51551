"""Rotoscoping (PRODUCT.md §10): a range of a library video, cut out from its background by Robust
Video Matting on Replicate (``matting`` in ``providers.registry``), as a job like every other.

    start (hold) ─▶ trim (worker) ─▶ matte (provider call) ─▶ compose (worker) ─▶ succeeded
                      0–10 %            10–80 %, estimated      80–100 %

- **Price**: 25 credits per minute of the chosen range, per started minute (``billing.prices``,
  ``rotoscoping``): 1 s to 60 s is 25, 61 s to 120 s is 50. RVM on Replicate's T4 bills
  $0.000225 a second and does a minute of HD in one to two: 25 credits ($0.31 at the cheapest rate)
  is well over twice that.
- **Limits**: the range is at most what the plan allows (``TOOLS_ROTO_PLAN_MAX_SECONDS``); audio
  files and videos the library couldn't measure are refused with what to do instead.
- **Trim**: the worker cuts the range with ffmpeg (``roto_render.trim``) into the org's storage and
  sends only that (``{"$key": …}``), so the provider never sees the rest of the video.
- **Results**: the WebM with alpha and the MP4 preview over a checkerboard, both children of the
  video with their recipe (``roto_render.compose``).
- **Cancel** returns the credits at any stage (the provider call is cancelled too); a provider
  failure or timeout (``providers.gateway.calls_sweep``) fails the job and returns them; a retry is a
  new job with a new hold.
"""

from __future__ import annotations

import contextlib
import logging
import math
from datetime import timedelta
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_from_file, asset_delete
from billing.dunning import effective_plan
from billing.prices import operation_credits
from billing.services import InsufficientCredits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from jobs import engine
from orgs.models import Organization
from providers import gateway, outputs, registry
from providers.adapters.base import ProviderError
from providers.models import ProviderCall
from tools import ffmpeg, roto_render
from tools.models import MatteJob

log = logging.getLogger(__name__)

OPERATION = "rotoscoping"
CALL_OPERATION = "matting"
MIN_SECONDS = 0.5
# Where each stage sits on the progress bar.
TRIM_UPTO, MATTE_UPTO = 10, 80
# How long the matting is expected to take, for its share of the bar and the time left: Replicate's
# queue and the model's start, then about 1.5 s of work per second of HD video on a T4.
MATTE_START_SECONDS, MATTE_SECONDS_PER_SECOND = 40.0, 1.5
DEMO_SECONDS_PER_SECOND = 0.4

AUDIO_ONLY = (
    "This is a sound recording, with no picture to cut out. Rotoscoping works on videos: open a video in the "
    "library, or use Audio cleanup for this file."
)
NOT_A_VIDEO = "Rotoscoping works on videos. Open a video in the library (MP4, MOV or WebM) and start it from there."
UNMEASURED = (
    "We couldn't read this video's size or length when it was uploaded, so it may be damaged. "
    "Export it again, upload it, and rotoscope that."
)


# --- What it costs and what it takes --------------------------------------------------------------


def roto_minutes(seconds: float) -> int:
    """Started minutes of ``seconds`` (at least one)."""
    return max(1, math.ceil(round(seconds, 3) / 60))


def roto_credits(seconds: float) -> int:
    return operation_credits(OPERATION, roto_minutes(seconds))


def plan_max_seconds(org: Organization) -> int:
    """The longest range the organisation's plan mattes in one run."""
    plan = effective_plan(org)
    return int(settings.TOOLS_ROTO_PLAN_MAX_SECONDS.get(plan.slug, settings.TOOLS_ROTO_MAX_SECONDS))


def seconds_words(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s" if seconds == int(seconds) else f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def source_problem(asset: Asset) -> str:
    """Why ``asset`` can't be rotoscoped ('' if it can)."""
    if asset.kind == Asset.Kind.FILE and asset.mime.startswith("audio/"):
        return AUDIO_ONLY
    if asset.kind != Asset.Kind.VIDEO:
        return NOT_A_VIDEO
    if not asset.width or not asset.height or not asset.duration:
        return UNMEASURED
    return ""


def range_problem(org: Organization, asset: Asset, start: float, end: float) -> str:
    """Why ``start``–``end`` of ``asset`` can't be rotoscoped ('' if it can)."""
    duration = asset.duration or 0.0
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end > duration + 0.05:
        return f"Choose a range inside the video: from 0 to {duration:.1f} s."
    if end - start < MIN_SECONDS:
        return f"Choose a range of at least {MIN_SECONDS:g} s: the end must come after the start."
    limit = plan_max_seconds(org)
    if end - start > limit + 0.05:
        plan = effective_plan(org)
        return (
            f"Your {plan.name} plan rotoscopes up to {seconds_words(limit)} at a time, and you chose "
            f"{seconds_words(round(end - start, 1))}. Choose a shorter range (run the rest as another job), "
            "or upgrade your plan for longer ones."
        )
    return ""


# --- Starting -------------------------------------------------------------------------------------


def roto_start(
    *,
    org: Organization,
    user: User | None,
    asset: Asset,
    start: float,
    end: float,
    key: str = "",
    retry_of: MatteJob | None = None,
) -> MatteJob:
    """Hold the credits and queue the job; a worker trims the range after commit. Raises
    ``DomainError`` (with ``field``) for a video or range that can't be used, or too few credits."""
    from tools import tasks

    if existing := engine.job_by_key(MatteJob, org, key):
        return existing
    if asset.org_id != org.pk:
        raise DomainError("That video isn't in this organisation's library.")
    if problem := source_problem(asset):
        raise DomainError(problem)
    start, end = round(float(start), 2), round(min(float(end), asset.duration or 0.0), 2)
    if problem := range_problem(org, asset, start, end):
        raise DomainError(problem, field="range")
    credits = roto_credits(end - start)
    try:
        job, created = engine.job_start_created(
            MatteJob,
            org=org,
            user=user,
            key=key,
            credits=credits,
            operation=OPERATION,
            hold_description=f"Rotoscoping {seconds_words(round(end - start, 1))} of “{asset.title[:80]}”",
            source=asset,
            source_title=asset.title[:200],
            start=start,
            end=end,
            retry_of=retry_of,
        )
    except InsufficientCredits as exc:
        raise DomainError(
            f"{exc.refusal(f'Rotoscoping {seconds_words(round(end - start, 1))}')} Nothing was queued."
        ) from None
    if created:
        transaction.on_commit(lambda: tasks.roto_prepare.delay(job.pk))
        track("tool_started", org=org, user=user, tool="roto", job_id=str(job.public_id))
    return job


# --- Progress -------------------------------------------------------------------------------------


def matte_expected_seconds(job: MatteJob, provider: str = "") -> float:
    if provider == "demo":
        return settings.DEMO_PROVIDER_LATENCY + 2.0 + job.seconds * DEMO_SECONDS_PER_SECOND
    return MATTE_START_SECONDS + job.seconds * MATTE_SECONDS_PER_SECOND


def _matte_elapsed(job: MatteJob, now=None) -> float:
    began = job.stage_started_at or job.started_at or job.created_at
    return max(0.0, ((now or timezone.now()) - began).total_seconds())


def progress_now(job: MatteJob, now=None) -> int:
    """Per cent done: measured while ffmpeg works, estimated while the provider mattes (it says nothing)."""
    if not job.is_active:
        return 100
    if job.stage == MatteJob.Stage.MATTE:
        provider = job.call.provider if job.call_id and job.call else ""
        share = min(0.95, _matte_elapsed(job, now) / matte_expected_seconds(job, provider))
        return TRIM_UPTO + round((MATTE_UPTO - TRIM_UPTO) * share)
    return job.progress


def eta_words(job: MatteJob, now=None) -> str:
    """About how long is left ('' while queued or when unknown)."""
    if job.status != JobStatus.RUNNING:
        return ""
    percent = progress_now(job, now)
    elapsed = max(1.0, ((now or timezone.now()) - (job.started_at or job.created_at)).total_seconds())
    if job.stage == MatteJob.Stage.MATTE:
        provider = job.call.provider if job.call_id and job.call else ""
        left = max(5.0, matte_expected_seconds(job, provider) - _matte_elapsed(job, now))
        left += job.seconds * 0.8  # the compose after it
    elif percent >= 5:
        left = elapsed * (100 - percent) / percent
    else:
        return ""
    return f"{max(1, round(left))} s" if left < 60 else f"{round(left / 60)} min"


def _reporter(job_id: int, low: int, high: int):
    """``report(fraction)`` for a stage spanning ``low``–``high`` per cent; False once cancelled."""

    def report(fraction: float) -> bool:
        percent = max(low, min(high - 1, low + int((high - low) * fraction)))
        return MatteJob.objects.filter(pk=job_id, status__in=ACTIVE).update(progress=percent) == 1

    return report


# --- The worker's stages --------------------------------------------------------------------------


def _fail(job_id: int, message: str) -> None:
    job = engine.job_finish_if_active(MatteJob, job_id, JobStatus.FAILED, message)
    if job is not None:
        _forget_clip(job)


def _forget_clip(job: MatteJob) -> None:
    """The trimmed range is only for the provider: gone once the job ends."""
    if key := job.clip_key:
        transaction.on_commit(lambda: _delete_key(key), robust=True)


def _delete_key(key: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        storage.storage().delete(key)


def roto_prepare(job_id: int) -> None:
    """Trim the range into storage and send it to the matting model (``tools.tasks.roto_prepare``).
    A redelivered task finds the call already made, or the job settled, and does nothing."""
    job = MatteJob.objects.select_related("org", "source").get(pk=job_id)
    if job.status not in ACTIVE or job.call_id or job.stage != MatteJob.Stage.TRIM:
        return
    now = timezone.now()
    transition(MatteJob, job_id, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=now, stage_started_at=now)
    if job.source is None:
        _fail(job_id, "The video was deleted before it could be rotoscoped. Nothing was charged.")
        return
    key = f"{storage.org_prefix(job.org)}/roto/{job.public_id}/range.mp4"
    try:
        with ffmpeg.workdir("roto") as work:
            suffix = PurePath(job.source.original_key).suffix or ".mp4"
            source = ffmpeg.fetch(job.source.original_key, work / f"source{suffix}", "video")
            clip = roto_render.trim(source, job.start, job.end, work / "range.mp4", _reporter(job_id, 1, TRIM_UPTO))
            with clip.open("rb") as fh:
                key = storage.storage().save(key, File(fh))
    except ffmpeg.Stopped:
        return
    except (DomainError, media.MediaError) as exc:
        _fail(job_id, f"{exc.message} Nothing was charged.")
        return
    with transaction.atomic():
        locked = engine.job_lock(MatteJob, job_id, "org")
        if locked.status not in ACTIVE:  # cancelled while it was cut
            transaction.on_commit(lambda: _delete_key(key), robust=True)
            return
        locked.call = gateway.call_create(
            org=locked.org,
            operation=CALL_OPERATION,
            input={"input_video": {"$key": key}, "output_type": "alpha-mask"},
            handler=CALL_HANDLER,
            subject=locked,
        )
        locked.clip_key, locked.stage, locked.progress = key, MatteJob.Stage.MATTE, TRIM_UPTO
        locked.stage_started_at = timezone.now()
        locked.save(update_fields=["call", "clip_key", "stage", "progress", "stage_started_at", "updated_at"])


def _matted(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The model made the matte: the worker composes the results (``tools.tasks.roto_compose``)."""
    from tools import tasks

    moved = MatteJob.objects.filter(pk=job_id, status__in=ACTIVE, stage=MatteJob.Stage.MATTE, call_id=call.pk).update(
        stage=MatteJob.Stage.COMPOSE,
        progress=MATTE_UPTO,
        stage_started_at=timezone.now(),
        status=JobStatus.RUNNING,
        updated_at=timezone.now(),
    )
    if moved:
        transaction.on_commit(lambda: tasks.roto_compose.delay(job_id))


def _unmatted(job_id: int, call: ProviderCall, status: str, error: str) -> None:
    """The call failed (its deadline passed too) or was cancelled: the job ends, its credits return."""
    if status == JobStatus.FAILED:
        error = f"{error} Nothing was charged: retry it."
    job = engine.job_finish_if_active(MatteJob, job_id, status, error)
    if job is not None:
        _forget_clip(job)


CALL_HANDLER = engine.call_job_handler(
    "tools.matte", MatteJob, succeeded=_matted, unsuccessful=_unmatted, failed="The matting model failed."
)


def matte_url(output: dict | None) -> str:
    """The matte video's URL in Replicate's answer (``{"output": "https://…"}``)."""
    value = (output or {}).get("output")
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("url")
    if not isinstance(value, str) or not value:
        raise ProviderError("The matting model finished but sent no video back.")
    return value


def _recipe(job: MatteJob, call: ProviderCall, *, what: str) -> dict:
    demo = call.provider == "demo"
    return {
        "operation": OPERATION,
        "result": what,
        "provider": call.provider,
        "model": "Background subtraction against the median frame (demo provider, not AI)"
        if demo
        else call.endpoint_id,
        "model_label": registry.ENDPOINTS[CALL_OPERATION].label,
        "source": str(job.source.public_id) if job.source else None,
        "start": job.start,
        "end": job.end,
        "cost": job.credits,
        "job": str(job.public_id),
    }


def roto_compose(job_id: int, *, last_attempt: bool = True) -> None:
    """Make the WebM with alpha and the preview from the matte, put both in the library, and settle
    (``tools.tasks.roto_compose``). A transient download error is raised for the task to retry."""
    job = MatteJob.objects.select_related("org", "source", "call", "created_by").get(pk=job_id)
    if job.status not in ACTIVE or job.stage != MatteJob.Stage.COMPOSE or job.call is None:
        return
    call = job.call
    if job.source is None:
        _fail(job_id, "The video was deleted while it was being rotoscoped. Nothing was charged.")
        return
    report = _reporter(job_id, MATTE_UPTO + 1, 100)
    made: list[Asset] = []
    stem = PurePath(job.source_title or "video").stem[:80]
    try:
        with ffmpeg.workdir("roto") as work:
            clip = ffmpeg.fetch(job.clip_key, work / "range.mp4", "trimmed range")
            with outputs.output_download(call, matte_url(call.output)) as matte_path:
                matte = Path(work / "matte-in.mp4")
                matte_path.replace(matte)
            webm, preview = roto_render.compose(
                clip, matte, work, seconds=job.seconds, demo=call.provider == "demo", report=report
            )
            if not report(0.99):
                return
            for path, filename, title, what in (
                (webm, f"{stem} matte.webm", f"{job.source_title} · matte (transparent)", "matte"),
                (preview, f"{stem} matte preview.mp4", f"{job.source_title} · matte preview", "preview"),
            ):
                made.append(
                    asset_create_from_file(
                        org=job.org,
                        path=path,
                        filename=filename,
                        title=title[:200],
                        source=Asset.Source.EDITED,
                        created_by=job.created_by,
                        parents=[job.source],
                        metadata={"recipe": _recipe(job, call, what=what)},
                        nsfw=job.source.nsfw,
                    )
                )
    except ffmpeg.Stopped:
        return
    except ProviderError as exc:
        if exc.transient and not last_attempt:
            raise
        _fail(job_id, f"{exc.message} Nothing was charged: retry it.")
        return
    except (DomainError, media.MediaError) as exc:
        for asset in made:
            asset_delete(asset=asset)
        _fail(job_id, exc.message if "charged" in exc.message else f"{exc.message} Nothing was charged.")
        return
    cost = engine.delivery_cost(call, job.attempts())
    Asset.objects.filter(pk=made[0].pk).update(
        credits_cost=job.credits, provider_cost_usd=cost.usd, provider_cost_note=cost.note
    )
    with transaction.atomic():
        locked = engine.job_lock(MatteJob, job_id)
        if locked.status not in ACTIVE:  # cancelled as it finished: keep nothing
            for asset in made:
                asset_delete(asset=asset)
            return
        engine.job_finish(locked, JobStatus.SUCCEEDED, result=made[0], preview=made[1], progress=100)
        _forget_clip(locked)
    track("tool_succeeded", org=job.org, user=job.created_by, tool="roto", job_id=str(job.public_id))


# --- Cancel, retry, sweep -------------------------------------------------------------------------


def roto_cancel(*, job: MatteJob, user: User | None) -> None:
    """Stop it at any stage and return its credits; the provider call is cancelled too."""
    with transaction.atomic():
        locked = engine.job_lock(MatteJob, job.pk, "call")
        if locked.status not in ACTIVE:
            raise DomainError("This job has already finished.")
        reason = engine.cancelled_by(user)
        engine.job_finish(locked, JobStatus.CANCELLED, reason)
        if locked.call is not None:
            gateway.call_cancel(locked.call, reason=reason)
        _forget_clip(locked)


def roto_retry(*, job: MatteJob, user: User | None) -> MatteJob:
    """Run a failed or cancelled job again on the same range, as a new job with a new hold."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainError("Only failed or cancelled jobs can be retried.")
    if job.source is None:
        raise DomainError("The video was deleted, so this can't run again.")
    return roto_start(org=job.org, user=user, asset=job.source, start=job.start, end=job.end, retry_of=job)


RESEND_AFTER = timedelta(minutes=3)
WORKER_GIVES_UP_AFTER = timedelta(minutes=45)
TOOK_TOO_LONG = "Our worker took too long on this video, so it was stopped. Nothing was charged: retry it."


def sweep(*, now=None) -> int:
    """Beat: a trim or compose whose task was lost is sent again; one that hangs is failed. (The
    matting call itself has the provider sweeper and its deadline.)"""
    from tools import tasks

    now = now or timezone.now()
    moved = 0
    ours = MatteJob.objects.filter(status__in=ACTIVE).exclude(stage=MatteJob.Stage.MATTE)
    for job in ours.filter(updated_at__lt=now - WORKER_GIVES_UP_AFTER):
        _fail(job.pk, TOOK_TOO_LONG)
        moved += 1
    stalled = ours.filter(updated_at__lt=now - RESEND_AFTER, progress__in=(0, MATTE_UPTO))
    for job in stalled:
        MatteJob.objects.filter(pk=job.pk).update(updated_at=now)
        (tasks.roto_prepare if job.stage == MatteJob.Stage.TRIM else tasks.roto_compose).delay(job.pk)
        moved += 1
    return moved
