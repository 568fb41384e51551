"""Audio cleanup in the browser: upload recordings, clean many at once, or one with its waveform
(select the quiet stretch for the noise profile, play before and after)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from assets import selectors as asset_selectors
from assets.models import Asset
from billing.services import credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from orgs.decorators import org_view
from orgs.models import Role
from tools import audio, selectors, services
from tools.models import ToolJob

MAX_FILES = 20
DEFAULTS = {"denoise": True, "deess": False, "hum": "0", "highpass": "80", "loudness": "-16", "format": ""}


def _options(data: dict) -> dict:
    return {
        "denoise": bool(data.get("denoise")),
        "deess": bool(data.get("deess")),
        "hum": str(data.get("hum", "0")),
        "highpass": str(data.get("highpass", "0")),
        "loudness": str(data.get("loudness", "")),
        "format": str(data.get("format", "")),
    }


def _common(request: OrgHttpRequest) -> dict:
    return {
        "credits": services.tool_credits(ToolJob.Kind.AUDIO),
        "available": credits_available(request.org),
        "loudness_targets": audio.LOUDNESS_TARGETS,
        "highpasses": audio.HIGHPASS[1:],
        "formats": list(audio.FORMATS),
        "form_key": uuid.uuid4(),
        "max_minutes": audio.duration_words(audio.settings.TOOLS_AUDIO_MAX_SECONDS),
    }


def _home(request: OrgHttpRequest, data: dict, errors: list[str], *, status: int = 200):
    return render(
        request,
        "tools/audio.html",
        {
            **_common(request),
            "items": selectors.with_sound(request.org),
            "picked": set(data.get("ids", [])),
            "chosen": _options(data) if data.get("action") == "clean" else DEFAULTS,
            "errors": errors,
            "jobs": list(selectors.tool_jobs(request.org, ToolJob.Kind.AUDIO)[:10]),
            "max_files": MAX_FILES,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def audio_home(request: OrgHttpRequest):
    """Upload recordings (MP3, WAV, M4A), and clean the chosen ones, one job each."""
    if request.method == "GET":
        return _home(request, {}, [])
    if request.POST.get("action") == "upload":
        files = request.FILES.getlist("files")
        if not files:
            return _home(request, {}, ["Choose one or more MP3, WAV or M4A files."], status=400)
        if len(files) > MAX_FILES:
            return _home(request, {}, [f"Upload up to {MAX_FILES} files at a time."], status=400)
        errors, added = [], []
        for upload in files:
            try:
                added.append(audio.audio_upload(org=request.org, user=request.user, upload=upload))
            except DomainError as exc:
                errors.append(exc.message)
        if added:
            messages.success(
                request, f"{len(added)} recording{'s' if len(added) != 1 else ''} added. Choose what to clean."
            )
        fresh = {"ids": [str(a.public_id) for a in added]}
        return _home(request, fresh, errors, status=400 if errors and not added else 200)
    data: dict = {**request.POST.dict(), "ids": request.POST.getlist("ids")}
    ids = data["ids"][:MAX_FILES]
    if not ids:
        return _home(request, data, ["Tick the recordings or videos to clean."], status=400)
    items = {str(a.public_id): a for a in selectors.with_sound(request.org, limit=1000) if str(a.public_id) in ids}
    started, errors = [], []
    key = one_time_key(request)
    for public_id in ids:
        asset = items.get(public_id)
        if asset is None:
            errors.append("One of the chosen items is no longer in the library.")
            continue
        try:
            started.append(
                audio.cleanup_start(
                    org=request.org,
                    user=request.user,
                    asset=asset,
                    data=data,
                    key=f"{key}:{public_id}" if key else "",
                )
            )
        except DomainError as exc:
            errors.append(f"“{asset.title}”: {exc.message}")
    if started and not errors:
        messages.success(
            request,
            f"{len(started)} cleanup{'s' if len(started) != 1 else ''} queued: {sum(j.credits for j in started)} credits held.",
        )
        if len(started) == 1:
            return redirect(started[0].get_absolute_url())
        return redirect("tools:audio", request.org.slug)
    if started:
        messages.success(request, f"{len(started)} cleanup{'s' if len(started) != 1 else ''} queued.")
    return _home(request, data, errors, status=400 if not started else 200)


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def clean(request: OrgHttpRequest, public_id):
    """One recording (or a video's sound): its waveform, the quiet stretch, the options."""
    asset = asset_selectors.asset_or_404(request.org, public_id)
    own_format = (asset.metadata.get("media") or {}).get("audio_format", "")
    data: dict = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = request.POST.dict()
        try:
            job = audio.cleanup_start(
                org=request.org, user=request.user, asset=asset, data=data, key=one_time_key(request)
            )
        except DomainError as exc:
            errors = {exc.field or "general": exc.message}
            status = 400
        else:
            messages.success(request, f"{job.label} queued: {job.credits} credits held.")
            return redirect(job.get_absolute_url())
    return render(
        request,
        "tools/audio_clean.html",
        {
            **_common(request),
            "asset": asset,
            "problem": audio.source_problem(asset),
            "chosen": _options(data) if data else {**DEFAULTS, "format": own_format},
            "noise": {"start": data.get("noise_start", ""), "end": data.get("noise_end", "")},
            "errors": errors,
            "jobs": selectors.jobs_for_asset(asset),
            "is_video": asset.kind == Asset.Kind.VIDEO,
        },
        status=status,
    )
