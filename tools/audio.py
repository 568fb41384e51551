"""Audio cleanup (local, real): ffmpeg's filters on an audio file (MP3, WAV, M4A) or a video's
sound (re-muxed with the picture untouched).

Params: ``denoise`` with an optional noise profile (``noise_start``/``noise_end``: a quiet stretch
the user selected, whose level is measured and given to ``afftdn`` as the noise floor), ``hum`` (0, 50 or 60 Hz: notches at it and its first
harmonics), ``highpass`` (Hz, 0 for none), ``deess``, ``loudness`` (a LUFS target for
``loudnorm``, or None) and ``format`` (mp3 / wav / m4a; a video stays an MP4).

The library takes images and videos; audio files come in through the audio page's upload and are
kept as library files (kind FILE, an ``audio/*`` MIME type and their duration).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files import File

from accounts.models import User
from assets import storage
from assets.models import Asset
from assets.selectors import storage_used
from assets.services import asset_create_file
from billing import limits
from core.exceptions import DomainError
from orgs.models import Organization
from tools import ffmpeg
from tools.models import ToolJob
from tools.services import Made, tool_start

FORMATS = {
    "mp3": ("audio/mpeg", ["-c:a", "libmp3lame", "-q:a", "2"]),
    "wav": ("audio/wav", ["-c:a", "pcm_s16le"]),
    "m4a": ("audio/mp4", ["-c:a", "aac", "-b:a", "192k"]),
}
# What ffmpeg calls the containers we take in, and the format each is.
CONTAINERS = {"mp3": "mp3", "wav": "wav", "mov,mp4,m4a,3gp,3g2,mj2": "m4a"}
LOUDNESS_TARGETS = (-14, -16, -19, -23, -24)
HIGHPASS = (0, 60, 80, 100, 120)
HUMS = (0, 50, 60)
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
SILENT_DB = -70.0


def is_audio(asset: Asset) -> bool:
    return asset.kind == Asset.Kind.FILE and asset.mime.startswith("audio/")


def duration_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{max(1, minutes)} min"


def _too_long(seconds: float) -> str:
    limit = settings.TOOLS_AUDIO_MAX_SECONDS
    if seconds > limit:
        return f"This recording is {duration_words(seconds)} long; audio cleanup takes up to {duration_words(limit)}. Split it and clean the parts."
    return ""


def source_problem(asset: Asset) -> str:
    """Why ``asset``'s sound can't be cleaned ('' if it can)."""
    if asset.kind == Asset.Kind.VIDEO:
        if not (asset.metadata.get("media") or {}).get("has_audio"):
            return "This video has no sound to clean."
    elif not is_audio(asset):
        return "Audio cleanup works on audio files (MP3, WAV, M4A) and videos with sound."
    return _too_long(asset.duration or 0)


@dataclass(frozen=True)
class Probed:
    format: str
    seconds: float


def probe_audio(path: Path) -> Probed:
    """The upload's format and length; raises ``DomainError`` for anything but MP3, WAV or M4A sound."""
    description = ffmpeg.probe(path)
    container = re.search(r"Input #0, ([^ ]+), from", description)
    kind = CONTAINERS.get(container.group(1).rstrip(",")) if container else None
    has_audio = re.search(r"Stream #0:\d+.*: Audio:", description) is not None
    has_picture = any("attached pic" not in line for line in re.findall(r"Stream #0:\d+.*: Video:.*", description))
    if kind is None or not has_audio:
        raise DomainError("This isn't an MP3, WAV or M4A audio file we can read. Export it as one of those.")
    if has_picture:
        raise DomainError("This file has pictures in it: add videos to the library, then clean their sound from there.")
    seconds = ffmpeg.duration_of(description)
    if not seconds:
        raise DomainError("We couldn't tell how long this recording is; it may be damaged. Export it again.")
    if problem := _too_long(seconds):
        raise DomainError(problem)
    return Probed(format=kind, seconds=seconds)


def audio_upload(*, org: Organization, user: User | None, upload) -> Asset:
    """Keep an uploaded audio file in the library (a FILE asset). Raises ``DomainError``."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise DomainError(f"“{upload.name}” is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    limits.storage_check(org, used=storage_used(org), incoming=upload.size)
    with ffmpeg.workdir("audio-in") as work:
        path = work / "upload"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            probed = probe_audio(path)
        except DomainError as exc:
            raise DomainError(f"“{upload.name}”: {exc.message}") from None
        key = f"{storage.org_prefix(org)}/audio/{uuid.uuid4()}.{probed.format}"
        with path.open("rb") as fh:
            key = storage.storage().save(key, File(fh))
    asset = asset_create_file(
        org=org,
        key=key,
        filename=upload.name,
        title=PurePath(upload.name).stem[:200] or "Recording",
        mime=FORMATS[probed.format][0],
        source=Asset.Source.UPLOAD,
        created_by=user,
        metadata={"media": {"audio_format": probed.format}},
    )
    Asset.objects.filter(pk=asset.pk).update(duration=probed.seconds)
    asset.duration = probed.seconds
    return asset


def audio_params(data: dict, *, source: Asset) -> dict:
    """The params of a cleanup from a form's ``data``; raises ``DomainError`` naming the field."""

    def number(name: str, default: float | None) -> float | None:
        value = data.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise DomainError(f"{name.replace('_', ' ').capitalize()} must be a number.", field=name) from None

    params: dict = {
        "denoise": bool(data.get("denoise")),
        "deess": bool(data.get("deess")),
        "hum": int(number("hum", 0) or 0),
        "highpass": int(number("highpass", 0) or 0),
    }
    if params["hum"] not in HUMS:
        raise DomainError("Hum removal is at 50 Hz or 60 Hz.", field="hum")
    if params["highpass"] not in HIGHPASS:
        raise DomainError(
            f"The high-pass filter is at one of {', '.join(map(str, HIGHPASS[1:]))} Hz.", field="highpass"
        )
    loudness = number("loudness", None)
    if loudness is not None and int(loudness) not in LOUDNESS_TARGETS:
        raise DomainError("Choose one of the loudness targets offered.", field="loudness")
    params["loudness"] = int(loudness) if loudness is not None else None
    start, end = number("noise_start", None), number("noise_end", None)
    if params["denoise"] and start is not None and end is not None:
        if not 0 <= start < end <= (source.duration or 0) + 0.05:
            raise DomainError("The quiet stretch must lie inside the recording.", field="noise_start")
        if end - start < 0.2:
            raise DomainError("Select at least 0.2 s of quiet for the noise profile.", field="noise_start")
        params["noise_start"], params["noise_end"] = round(start, 3), round(end, 3)
    if source.kind == Asset.Kind.VIDEO:
        params["format"] = "mp4"
    else:
        fmt = str(data.get("format") or (source.metadata.get("media") or {}).get("audio_format") or "wav")
        if fmt not in FORMATS:
            raise DomainError("The result is an MP3, a WAV or an M4A.", field="format")
        params["format"] = fmt
    if not (params["denoise"] or params["deess"] or params["hum"] or params["highpass"] or params["loudness"]):
        raise DomainError("Choose at least one clean-up: as it is, nothing would change.", field="denoise")
    return params


def cleanup_start(*, org: Organization, user: User | None, asset: Asset, data: dict, key: str = "") -> ToolJob:
    if problem := source_problem(asset):
        raise DomainError(problem)
    return tool_start(
        org=org, user=user, kind=ToolJob.Kind.AUDIO, source=asset, params=audio_params(data, source=asset), key=key
    )


def filter_chain(params: dict, noise_floor: float | None = None) -> str:
    """The ffmpeg audio filters for ``params``, in the order a sound engineer would use them.
    ``noise_floor``: the level (dB) measured in the quiet stretch the user selected."""
    parts: list[str] = []
    if params.get("highpass"):
        parts.append(f"highpass=f={params['highpass']}:poles=2")
    if hum := params.get("hum"):
        parts += [f"bandreject=f={hum * n}:width_type=q:w=30" for n in (1, 2, 3, 4)]
    if params.get("denoise"):
        if noise_floor is not None:
            # The noise's level measured in the quiet stretch: everything at it is cut by 20 dB.
            parts.append(f"afftdn=nr=20:nf={max(-80, min(-20, round(noise_floor)))}")
        else:
            parts.append("afftdn=nr=12:nf=-50:tn=1")  # no stretch chosen: track the noise floor as it goes
    if params.get("deess"):
        parts.append("deesser=i=0.5:m=0.5:f=0.5")
    if params.get("loudness") is not None:
        parts.append(f"loudnorm=I={params['loudness']}:TP=-1.5:LRA=11")
        parts.append("aresample=48000")  # loudnorm works at 192 kHz; back to a normal rate
    return ",".join(parts)


def _levels(
    path: Path, seconds: float, report: Callable[[float], bool] | None, span: tuple[float, float] | None = None
) -> tuple[float, float, int, int]:
    """(mean dB, max dB, samples at full scale, samples) of the sound (or of ``span``, from–to
    seconds, of it), from ``volumedetect``."""
    cut = ["-ss", f"{span[0]:.3f}", "-t", f"{span[1] - span[0]:.3f}"] if span else []
    text = ffmpeg.run(
        [*cut, "-i", str(path), "-vn", "-af", "volumedetect", "-f", "null", "-"],
        seconds=seconds * 5,  # the check is the first fifth of the work
        progress=report,
        failed="We couldn't read the sound; the file may be damaged.",
    )

    def value(name: str) -> float | None:
        found = re.findall(rf"{name}: (-?[\d.]+|-inf)", text)  # the last report is the whole sound's
        return None if not found else (-200.0 if found[-1] == "-inf" else float(found[-1]))

    mean, peak = value("mean_volume"), value("max_volume")
    samples = int(value("n_samples") or 0)
    full = int(value("histogram_0db") or 0)
    return (mean if mean is not None else -200.0), (peak if peak is not None else -200.0), full, samples


def clean_file(
    original: Path,
    params: dict,
    out: Path,
    *,
    noise_floor: float | None,
    seconds: float,
    report: Callable[[float], bool],
) -> Path:
    """``original``'s sound through ``filter_chain`` into ``out`` (its suffix says the format: an
    .mp4 keeps the picture as it was and re-muxes the cleaned sound with it)."""
    video = out.suffix == ".mp4"
    codec = ["-c:a", "aac", "-b:a", "192k"] if video else FORMATS[out.suffix.lstrip(".")][1]
    streams = ["-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", "-movflags", "+faststart"] if video else ["-vn"]
    ffmpeg.run(
        ["-i", str(original), *streams, "-af", filter_chain(params, noise_floor), *codec, "-y", str(out)],
        seconds=seconds,
        progress=report,
        failed="We couldn't clean this sound; the file may be damaged or use an unusual format.",
    )
    return out


def levels(
    path: Path, seconds: float, report: Callable[[float], bool] | None = None, span: tuple[float, float] | None = None
) -> tuple[float, float, int, int]:
    """(mean dB, max dB, samples at full scale, samples) of the sound at ``path`` (or of ``span``)."""
    return _levels(path, seconds, report, span)


def render(job: ToolJob, work: Path, report: Callable[[float], bool]) -> Made:
    """Clean the job's source's sound into ``work``."""
    source = job.source
    assert source is not None
    params = job.params
    original = ffmpeg.fetch(source.original_key, work / f"source{PurePath(source.original_key).suffix}", "original")
    seconds = source.duration or 1.0
    mean, peak, clipped, samples = _levels(original, seconds, report)
    if peak <= SILENT_DB:
        raise DomainError("The recording is silent, so there is nothing to clean. Nothing was charged.")
    if samples and clipped / samples > 0.5:
        raise DomainError(
            "More than half of the recording is clipped at full scale: the sound is lost, and cleanup can't bring it "
            "back. Record again with the level lower. Nothing was charged."
        )

    noise_floor = None
    if params.get("denoise") and "noise_start" in params:
        noise_floor = _levels(original, 1.0, None, (params["noise_start"], params["noise_end"]))[0]

    def later(fraction: float) -> bool:
        return report(0.2 + 0.8 * fraction)

    video = source.kind == Asset.Kind.VIDEO
    fmt = "mp4" if video else params["format"]
    out = clean_file(original, params, work / f"cleaned.{fmt}", noise_floor=noise_floor, seconds=seconds, report=later)
    recipe = {
        "operation": "audio_cleanup",
        "source": str(source.public_id),
        "filters": filter_chain(params, noise_floor),
        "before": {"mean_db": mean, "peak_db": peak},
        "noise_floor_db": noise_floor,
        **{k: v for k, v in params.items()},
    }
    stem = PurePath(source.original_filename or source.title or "recording").stem
    return Made(
        out,
        f"{stem} cleaned.{fmt}",
        f"{source.title} · cleaned"[:200],
        recipe,
        mime="" if video else FORMATS[fmt][0],
    )
