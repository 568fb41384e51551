"""Videos: probed by the ``imageio-ffmpeg`` binary in a subprocess, and a poster frame made into
the same preview, thumb and dHash as an image."""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assets.media.images import Rendition, _decode, _renditions
from assets.media.limits import LIMITS, MediaError, StrPath
from assets.media.sniffing import Sniffed

FFMPEG_TIMEOUT = 30  # seconds, for each ffmpeg run (probe, duration fallback, poster, scrub strip)
REMUX_TIMEOUT = 240  # seconds to rewrite a video without its metadata (stream copy: disk speed)
MAX_VIDEO_STREAMS = 16  # iPhone MOVs carry 5-6 (video, audio, metadata tracks)
# The library's hover preview: frames spread evenly over the video, side by side in one JPEG strip.
SCRUB_FRAMES = 10
SCRUB_FRAME_WIDTH = 240


@dataclass(frozen=True)
class VideoResult:
    mime: str
    extension: str
    width: int  # as displayed (after rotation metadata)
    height: int
    duration: float  # seconds
    poster: Rendition  # preview-size frame
    thumb: Rendition
    phash: int  # of the poster
    metadata: dict
    scrub: Rendition | None = None  # SCRUB_FRAMES frames in a row, for the hover preview; None if unreadable


_DEMUXERS = {"video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska"}
_DURATION_RE = re.compile(r"^\s*Duration: (?:(\d+):(\d{2}):(\d{2}(?:\.\d+)?)|N/A)", re.MULTILINE)
_STREAM_RE = re.compile(r"^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\([^)]*\))?: (\w+): (.*)$")
_ROTATION_RE = re.compile(r"display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", re.IGNORECASE)
_SIZE_RE = re.compile(r"[ ,](\d{1,6})x(\d{1,6})[ ,\]]")
_FPS_RE = re.compile(r"([\d.]+)(k?) (?:fps|tbr)\b")
_TIME_RE = re.compile(r"time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


@dataclass
class _Stream:
    index: int
    kind: str  # "video", "audio", "subtitle", "data", "attachment"
    codec: str
    width: int = 0
    height: int = 0
    fps: float | None = None
    rotation: int = 0
    attached_pic: bool = False


@cache
def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _run_ffmpeg(args: list[str], *, timeout: float | None = None) -> str:
    """Run ffmpeg with ``args``; its stderr as text. A timeout means an unreadable video."""
    try:
        completed = subprocess.run(  # noqa: S603 - fixed executable, no shell, our own arguments
            [_ffmpeg(), "-hide_banner", "-nostdin", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout or FFMPEG_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(
            "We couldn't read this video in time; it may be damaged. Export it again and re-upload.", "corrupt"
        ) from None
    return completed.stderr.decode("utf-8", errors="replace")


def _input_args(path: StrPath, mime: str) -> list[str]:
    # Force the sniffed container's demuxer and allow only local files, so a crafted file can't
    # make ffmpeg switch formats (HLS playlists, concat lists) or open URLs.
    return ["-protocol_whitelist", "file", "-f", _DEMUXERS[mime], "-i", "file:" + os.path.abspath(path)]


def process_video(path: StrPath, sniffed: Sniffed) -> VideoResult:
    """Probe a video and make its poster (1024 px), thumb (300 px) and the poster's dHash.

    Raises ``MediaError`` with code ``corrupt``, ``no_video_stream``, ``too_many_streams``,
    ``too_large_dimensions`` or ``too_long``.
    """
    if sniffed.mime not in _DEMUXERS:
        raise ValueError(f"not a video type: {sniffed.mime}")
    duration, streams = _probe(path, sniffed.mime)
    videos = [s for s in streams if s.kind == "video" and not s.attached_pic]
    if not videos:
        only_audio = any(s.kind == "audio" for s in streams)
        raise MediaError(
            "This file has no video picture in it"
            + (" (it only contains sound)" if only_audio else "")
            + ". Upload a video file (MP4, MOV or WebM).",
            "no_video_stream",
        )
    if len(streams) > MAX_VIDEO_STREAMS:
        raise MediaError(
            f"This video has {len(streams)} tracks; we accept up to {MAX_VIDEO_STREAMS}. Export it again with "
            "just its picture and sound, and re-upload.",
            "too_many_streams",
        )
    video = videos[0]
    if video.width < 1 or video.height < 1:
        raise MediaError(
            "We couldn't read this video's picture size; it may be damaged. Export it again and re-upload.",
            "corrupt",
        )
    if max(video.width, video.height) > LIMITS.max_video_side:
        raise MediaError(
            f"This video is {video.width:,} × {video.height:,} pixels; videos can be at most "
            f"{LIMITS.max_video_side:,} pixels on their longest side. Export it at 4K or lower and upload it again.",
            "too_large_dimensions",
        )
    if duration is None:  # e.g. WebM recorded by a browser: count it by reading the packets
        duration = _measure_duration(path, sniffed.mime, video.index)
    if duration is None:
        raise MediaError(
            "We couldn't tell how long this video is; it may be damaged. Export it again and re-upload.", "corrupt"
        )
    if duration > LIMITS.max_video_seconds:
        raise MediaError(
            f"This video is {_duration_words(duration)} long; the limit is "
            f"{_limit_words(LIMITS.max_video_seconds)}. Trim it and upload it again.",
            "too_long",
        )

    with tempfile.TemporaryDirectory(prefix="personae-poster-") as tmp:
        poster_path = Path(tmp) / "poster.jpg"
        for at in dict.fromkeys((min(1.0, duration / 2), 0.0)):
            _run_ffmpeg(
                [
                    *("-loglevel", "error", "-ss", f"{at:.3f}"),  # before -i: seek, then decode to the time
                    *_input_args(path, sniffed.mime),
                    *("-map", f"0:{video.index}", "-frames:v", "1", "-q:v", "2"),
                    *("-f", "image2", "-update", "1", "-y", "file:" + str(poster_path)),
                ]
            )
            if poster_path.exists() and poster_path.stat().st_size > 0:
                break
        else:
            raise MediaError(
                "We couldn't read a picture from this video; it may be damaged or use an unusual format. "
                "Export it again as MP4 (H.264) and re-upload.",
                "corrupt",
            )
        try:
            decoded = _decode(poster_path, "JPEG", LIMITS.preview_px)
        except MediaError as exc:  # ffmpeg wrote something we can't read back
            raise MediaError(
                "We couldn't read a picture from this video; it may be damaged. Export it again and re-upload.",
                "corrupt",
            ) from exc
    poster, thumb, phash = _renditions(decoded.image)

    width, height = video.width, video.height
    if video.rotation in (90, 270):
        width, height = height, width
    scrub = _scrub_strip(path, sniffed.mime, video.index, duration, width, height)
    audio = next((s for s in streams if s.kind == "audio"), None)
    return VideoResult(
        mime=sniffed.mime,
        extension=sniffed.extension,
        width=width,
        height=height,
        duration=round(duration, 3),
        poster=poster,
        thumb=thumb,
        phash=phash,
        metadata={
            "codec": video.codec,
            "fps": video.fps,
            "has_audio": audio is not None,
            "audio_codec": audio.codec if audio else None,
            "rotation": video.rotation,
            "streams": len(streams),
            **(
                {"scrub": {"frames": SCRUB_FRAMES, "width": scrub.width // SCRUB_FRAMES, "height": scrub.height}}
                if scrub
                else {}
            ),
        },
        scrub=scrub,
    )


_MUXERS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
_ALPHA_RE = re.compile(r"^\s*alpha_mode\s*:\s*1\s*$", re.I | re.M)
_LOCATION_RE = re.compile(r"^\s*(?:location(?:-\w+)?|com\.apple\.quicktime\.location\.[\w.]+)\s*:", re.I | re.M)


def remux_without_metadata(path: StrPath, sniffed: Sniffed, out: StrPath) -> tuple[str, ...]:
    """Copy the video's picture and sound tracks into ``out`` without re-encoding, and without
    any container or stream metadata (location, dates, device), data tracks (GPS telemetry, timed
    metadata) or cover art. What was removed, in words. Raises ``MediaError`` (``video_rewrite``)."""
    report = _run_ffmpeg(_input_args(path, sniffed.mime))
    data_tracks = sum(1 for line in report.splitlines() if (m := _STREAM_RE.match(line)) and m.group(2) == "Data")
    # A WebM with transparency (VP9 or VP8 with alpha) says so in its track header (AlphaMode), which
    # players need to show the alpha; stripping the metadata would drop it, so it is written again.
    alpha = ["-metadata:s:v:0", "alpha_mode=1"] if _ALPHA_RE.search(report) else []
    _run_ffmpeg(
        [
            *("-loglevel", "error"),
            *_input_args(path, sniffed.mime),
            *("-map", "0:V", "-map", "0:a?", "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1", *alpha),
            *("-f", _MUXERS[sniffed.mime], "-y", "file:" + os.path.abspath(out)),
        ],
        timeout=REMUX_TIMEOUT,
    )
    written = _run_ffmpeg(_input_args(out, sniffed.mime)) if Path(out).stat().st_size else ""
    if not any((m := _STREAM_RE.match(line)) and m.group(2) == "Video" for line in written.splitlines()):
        raise MediaError(
            "We couldn't rewrite this video without its metadata (location, device, dates). Export it again as "
            "MP4 (H.264) and re-upload.",
            "video_rewrite",
        )
    removed = []
    if _LOCATION_RE.search(report):
        removed.append("the location (GPS) it was recorded at")
    if data_tracks:
        removed.append(f"{data_tracks} data track{'s' if data_tracks > 1 else ''} (such as GPS or motion data)")
    return tuple(removed)


def _scrub_strip(path: StrPath, mime: str, index: int, duration: float, width: int, height: int) -> Rendition | None:
    """SCRUB_FRAMES frames from the middle of each tenth of the video, SCRUB_FRAME_WIDTH wide, side
    by side: what a library tile shows under the pointer. One ffmpeg run, one fast seek per frame.
    A video whose frames can't all be read gets no strip (its poster still shows)."""
    frame_h = max(2, round(SCRUB_FRAME_WIDTH * height / max(1, width) / 2) * 2)
    inputs: list[str] = []
    graph = []
    for n in range(SCRUB_FRAMES):
        at = duration * (n + 0.5) / SCRUB_FRAMES
        inputs += ["-ss", f"{at:.3f}", *_input_args(path, mime)]
        graph.append(f"[{n}:{index}]scale={SCRUB_FRAME_WIDTH}:{frame_h},setsar=1[f{n}]")
    stacked = "".join(f"[f{n}]" for n in range(SCRUB_FRAMES)) + f"hstack=inputs={SCRUB_FRAMES}[strip]"
    with tempfile.TemporaryDirectory(prefix="personae-scrub-") as tmp:
        strip = Path(tmp) / "scrub.jpg"
        try:
            _run_ffmpeg(
                [
                    *("-loglevel", "error", *inputs),
                    *("-filter_complex", ";".join([*graph, stacked]), "-map", "[strip]", "-frames:v", "1"),
                    *("-q:v", "4", "-f", "image2", "-update", "1", "-y", "file:" + str(strip)),
                ]
            )
        except MediaError:  # out of time: the tile keeps its poster
            return None
        if not strip.exists() or strip.stat().st_size == 0:
            return None
        data = strip.read_bytes()
    return Rendition(data=data, width=SCRUB_FRAME_WIDTH * SCRUB_FRAMES, height=frame_h, mime="image/jpeg")


def _probe(path: StrPath, mime: str) -> tuple[float | None, list[_Stream]]:
    """Container duration (None if it doesn't say) and streams, from ``ffmpeg -i``'s report."""
    report = _run_ffmpeg(_input_args(path, mime))
    if "Input #0" not in report:
        raise MediaError(
            "This video is damaged or incomplete (we couldn't read its container). Export it again and re-upload.",
            "corrupt",
        )
    duration = None
    match = _DURATION_RE.search(report)
    if match and match.group(1) is not None:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    streams: list[_Stream] = []
    for line in report.splitlines():
        stream = _STREAM_RE.match(line)
        if stream:
            index, kind, rest = int(stream.group(1)), stream.group(2).lower(), stream.group(3)
            streams.append(_parse_stream(index, kind, rest))
            continue
        rotation = _ROTATION_RE.search(line)
        if rotation and streams:
            streams[-1].rotation = round(float(rotation.group(1))) % 360
    return duration, streams


def _parse_stream(index: int, kind: str, rest: str) -> _Stream:
    codec = rest.split(",")[0].split(" ")[0] if rest else ""
    stream = _Stream(index=index, kind=kind, codec=codec, attached_pic="(attached pic)" in rest)
    if kind == "video":
        size = _SIZE_RE.search(" " + rest + " ")
        if size:
            stream.width, stream.height = int(size.group(1)), int(size.group(2))
        fps = _FPS_RE.search(rest)
        if fps:
            stream.fps = round(float(fps.group(1)) * (1000 if fps.group(2) else 1), 3)
    return stream


def _measure_duration(path: StrPath, mime: str, index: int) -> float | None:
    """Duration by demuxing the video stream's packets without decoding them (fast, streaming)."""
    report = _run_ffmpeg([*_input_args(path, mime), "-map", f"0:{index}", "-c", "copy", "-f", "null", "-"])
    times = _TIME_RE.findall(report)
    if not times:
        return None
    hours, minutes, seconds = times[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _duration_words(seconds: float) -> str:
    total = math.ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _limit_words(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return "1 second" if seconds == 1 else f"{seconds} seconds"
