"""Videos for the rotoscoping tests, made with the bundled ffmpeg: a still test pattern with a red
box moving across it (what the demo's background subtraction finds), the matte a model would
return for it, and how to read a frame's alpha back from a WebM."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from tools.tests.fixtures import ffmpeg

SIZE = (320, 180)
BOX = (48, 64)
SPEED = 60  # px a second
BOX_Y = 60
ALPHA_MODE = b"\x53\xc0\x81\x01"  # Matroska's AlphaMode element, set to 1, in a WebM's track header


def box_x(t: float) -> int:
    return int(20 + t * SPEED)


@functools.cache
def moving_box(seconds: float = 3.0, audio: bool = True) -> bytes:
    """ffmpeg's SMPTE bars, still, and a red box moving right at ``SPEED`` px/s; a tone if ``audio``."""
    w, h = SIZE
    graph = (
        f"smptebars=size={w}x{h}:rate=25[bg];color=c=0xE0301E:size={BOX[0]}x{BOX[1]}:rate=25[box];"
        f"[bg][box]overlay=x='20+t*{SPEED}':y={BOX_Y}:shortest=1[v]"
    )
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"] if audio else []
    return ffmpeg(
        *("-filter_complex", graph, *sound, "-map", "[v]", *(["-map", "0:a"] if audio else []), "-t", str(seconds)),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *(["-c:a", "aac"] if audio else []),
        suffix=".mp4",
    )


@functools.cache
def box_matte(seconds: float = 2.0, start: float = 0.0) -> bytes:
    """What RVM's ``alpha-mask`` returns for ``moving_box`` from ``start``: white where the box is."""
    w, h = SIZE
    graph = (
        f"color=c=black:size={w}x{h}:rate=25[bg];color=c=white:size={BOX[0]}x{BOX[1]}:rate=25[box];"
        f"[bg][box]overlay=x='20+(t+{start})*{SPEED}':y={BOX_Y}:shortest=1,format=yuv420p[v]"
    )
    return ffmpeg(
        *("-filter_complex", graph, "-map", "[v]", "-t", str(seconds)),
        *("-c:v", "libx264", "-preset", "ultrafast"),
        suffix=".mp4",
    )


def alpha_frame(webm: bytes, at: float = 0.0) -> np.ndarray:
    """The alpha channel of the frame at ``at`` s, decoded with libvpx (ffmpeg's own VP9 decoder
    drops the alpha)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.webm"
        path.write_bytes(webm)
        done = subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                *("-hide_banner", "-loglevel", "error", "-c:v", "libvpx-vp9", "-ss", f"{at:.2f}", "-i", str(path)),
                *("-frames:v", "1", "-pix_fmt", "rgba", "-f", "rawvideo", "pipe:1"),
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
    rgba = np.frombuffer(done.stdout, np.uint8)
    return rgba.reshape(-1, 4)[:, 3].reshape(-1, SIZE[0])


def describe(data: bytes, suffix: str) -> str:
    """ffmpeg's description of a file (streams, pixel formats, stream tags)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"in{suffix}"
        path.write_bytes(data)
        done = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, timeout=60
        )
    return done.stderr.decode("utf-8", "replace")
