"""Videos for the video tests, made with the bundled ffmpeg: a face photo held still (frame 1 shows
one face), the three-faces photo, a test pattern with no face, and a damaged file."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageOps

from characters.tests import photos


@functools.cache
def still_clip(name: str, seconds: float = 3.0, size: tuple[int, int] = (640, 360), audio: bool = False) -> bytes:
    """``seconds`` of the face fixture ``name`` (``person-b-1``, ``group-3-faces`` …) scaled to fit
    ``size``, as an H.264 MP4 at 25 fps."""
    image = ImageOps.contain(photos.fixture(name), size)
    canvas = Image.new("RGB", size, (40, 40, 48))
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    with tempfile.TemporaryDirectory() as folder:
        still = Path(folder) / "still.png"
        canvas.save(still)
        return _encode(["-loop", "1", "-framerate", "25", "-i", str(still)], seconds, audio)


@functools.cache
def pattern_clip(seconds: float = 3.0, size: tuple[int, int] = (320, 180)) -> bytes:
    """ffmpeg's test pattern: no face in it."""
    width, height = size
    return _encode(["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=25"], seconds, False)


def _encode(inputs: list[str], seconds: float, audio: bool) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.mp4"
        sound = ["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100"] if audio else []
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                *("-hide_banner", "-loglevel", "error", "-y", *inputs, *sound, "-t", str(seconds)),
                *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
                *(["-c:a", "aac"] if audio else []),
                *("-movflags", "+faststart", str(out)),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()
