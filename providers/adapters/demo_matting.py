"""The demo provider's video matting (in place of Robust Video Matting): real, local and honest.

No model: the background is the per-pixel median of up to ``SAMPLES`` frames spread over the clip
(what stays still), and each frame's matte is how far it differs from that background, opened to
drop specks and blurred for a soft edge. It finds what *moves* against a still background, not a
person: a locked-off shot of someone walking works; a moving camera doesn't. The output is what
Robust Video Matting's ``alpha-mask`` gives, an MP4 that is white where the subject is; the tool that
uses it labels its results "DEMO · not AI".

The work is done at ``WORK_SIDE`` px on the longer side with numpy, and the matte is scaled back up
to the clip's size by ffmpeg.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageFilter

from providers.adapters import demo_video
from providers.adapters.base import ProviderError

ENDPOINTS = {
    "arielreplicate/robust_video_matting:73d2128a371922d5d1abf0712a1d974be0e4e2358cc1218e4e34714767232bac",
    "arielreplicate/robust_video_matting",
}
WORK_SIDE = 320
SAMPLES = 48
LOW, HIGH = 18.0, 48.0  # a difference (0–255, the largest of the three channels) below LOW is background
MAX_SECONDS = 900.0
TIMEOUT = 900


def work(endpoint_id: str, request_id: str, arguments: dict) -> str:
    """Replicate's output for RVM: the URL of the matte video (here a ``storage:`` reference)."""
    if arguments.get("output_type", "green-screen") != "alpha-mask":
        raise ProviderError("The demo matting makes alpha masks only (output_type 'alpha-mask').")
    with tempfile.TemporaryDirectory(prefix="personae-demo-matte-") as folder:
        clip = demo_video._copy_input(arguments["input_video"], Path(folder) / "clip.mp4")
        facts = demo_video.probe(clip)
        width, height, fps, seconds = facts["width"], facts["height"], facts["fps"] or 25.0, facts["duration"]
        if seconds > MAX_SECONDS:
            raise ProviderError(f"The demo matting takes up to {MAX_SECONDS / 60:g} minutes of video.")
        small = _work_size(width, height)
        frames = _count(clip, small)
        if frames == 0:
            raise ProviderError("The video has no frames the demo could read.")
        background = _median_background(clip, small, frames)
        out = Path(folder) / "matte.mp4"
        _write_mattes(clip, small, background, out, size=(width, height), fps=fps)
        return "storage:" + default_storage.save(f"demo/{request_id}-matte.mp4", ContentFile(out.read_bytes()))


def _work_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, WORK_SIDE / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _reader(clip: Path, size: tuple[int, int], *, every: int = 1) -> subprocess.Popen:
    select = (
        []
        if every == 1
        else ["-vf", f"select='not(mod(n\\,{every}))',scale={size[0]}:{size[1]}", "-fps_mode", "passthrough"]
    )
    scale = [] if select else ["-vf", f"scale={size[0]}:{size[1]}"]
    return subprocess.Popen(  # noqa: S603 - the bundled ffmpeg, our own arguments, no shell
        [
            demo_video._ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(clip)),
            *select,
            *scale,
            *("-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _frames(process: subprocess.Popen, size: tuple[int, int]):
    assert process.stdout is not None
    frame_bytes = size[0] * size[1] * 3
    try:
        while len(chunk := process.stdout.read(frame_bytes)) == frame_bytes:
            yield np.frombuffer(chunk, np.uint8).reshape(size[1], size[0], 3)
    finally:
        process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=TIMEOUT)


def _count(clip: Path, size: tuple[int, int]) -> int:
    return sum(1 for _ in _frames(_reader(clip, size), size))


def _median_background(clip: Path, size: tuple[int, int], frames: int) -> np.ndarray:
    """The per-pixel median of up to ``SAMPLES`` frames spread evenly over the clip."""
    every = max(1, frames // SAMPLES)
    sampled = [frame for _, frame in zip(range(SAMPLES), _frames(_reader(clip, size, every=every), size), strict=False)]
    return np.median(np.stack(sampled).astype(np.int16), axis=0)


def matte_of(frame: np.ndarray, background: np.ndarray) -> Image.Image:
    """A soft matte (L, 0–255) of what differs from ``background`` in ``frame``."""
    diff = np.abs(frame.astype(np.int16) - background).max(axis=2).astype(np.float32)
    alpha = np.clip((diff - LOW) / (HIGH - LOW), 0.0, 1.0)
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L")
    mask = mask.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(5))  # open: specks go, holes close
    return mask.filter(ImageFilter.GaussianBlur(1.2))


def _write_mattes(
    clip: Path, small: tuple[int, int], background: np.ndarray, out: Path, *, size: tuple[int, int], fps: float
) -> None:
    encoder = subprocess.Popen(  # noqa: S603
        [
            demo_video._ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
            *("-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{small[0]}x{small[1]}", "-r", f"{fps:g}", "-i", "pipe:0"),
            *("-vf", f"scale={size[0]}:{size[1]}:flags=bicubic,format=yuv420p"),
            *("-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-movflags", "+faststart", str(out)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert encoder.stdin is not None
    try:
        for frame in _frames(_reader(clip, small), small):
            encoder.stdin.write(matte_of(frame, background).tobytes())
        encoder.stdin.close()
        encoder.wait(timeout=TIMEOUT)
    finally:
        if encoder.poll() is None:
            encoder.kill()
            encoder.wait()
    if encoder.returncode != 0 or not out.exists():
        raise ProviderError("The demo matting couldn't write its matte video.")
