"""Files for the tools' tests, made here: a colour chart photo, a clip with sound, recordings
(speech-like tones over hiss and mains hum, silence, hard clipping, a two-hour file)."""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw


def ffmpeg(*args: str, suffix: str, timeout: int = 120) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"out{suffix}"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(out)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        return out.read_bytes()


@functools.cache
def chart(size: tuple[int, int] = (480, 320), mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    """Bands of colour and a grey ramp: a grade changes every part of it."""
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    colours = [(200, 60, 50), (60, 170, 70), (50, 80, 200), (230, 200, 60), (220, 150, 120), (40, 40, 40)]
    band = size[0] // len(colours)
    for i, colour in enumerate(colours):
        draw.rectangle([i * band, 0, (i + 1) * band, size[1] // 2], fill=colour)
    for x in range(size[0]):
        grey = int(255 * x / (size[0] - 1))
        draw.line([x, size[1] // 2, x, size[1]], fill=(grey, grey, grey))
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@functools.cache
def clip(seconds: float = 2.0, size: str = "320x180", audio: bool = True) -> bytes:
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"] if audio else []
    return ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", *sound, "-t", str(seconds)),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *(["-c:a", "aac"] if audio else []),
        suffix=".mp4",
    )


# Half a second of hiss and hum alone (the quiet stretch), then a voice-like tone over them.
NOISY = (
    "sine=frequency=220:sample_rate=44100:duration={s},volume=4,"
    "adelay=500|500[v];anoisesrc=color=white:amplitude=0.05:sample_rate=44100:duration={s}[n];"
    "sine=frequency=50:sample_rate=44100:duration={s},volume=0.2[h];[v][n][h]amix=inputs=3:normalize=0"
)


@functools.cache
def recording(fmt: str = "wav", seconds: float = 3.0) -> bytes:
    codec = {"wav": ["-c:a", "pcm_s16le"], "mp3": ["-c:a", "libmp3lame"], "m4a": ["-c:a", "aac"]}[fmt]
    return ffmpeg("-filter_complex", NOISY.format(s=seconds), *codec, suffix=f".{fmt}")


@functools.cache
def silence(seconds: float = 2.0) -> bytes:
    return ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=22050:cl=mono:d={seconds}", "-c:a", "pcm_s16le", suffix=".wav")


@functools.cache
def clipped(seconds: float = 2.0) -> bytes:
    """A square wave at full scale: every sample clipped."""
    return ffmpeg(
        *("-f", "lavfi", "-i", f"aevalsrc=exprs='if(gte(sin(2*PI*100*t),0),1,-1)':s=22050:d={seconds}"),
        *("-c:a", "pcm_s16le"),
        suffix=".wav",
    )


@functools.cache
def two_hours() -> bytes:
    """A real two-hour MP3 (8 kHz mono at 8 kb/s: about 7 MB)."""
    return ffmpeg(
        *("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono:d=7200"),
        *("-c:a", "libmp3lame", "-b:a", "8k"),
        suffix=".mp3",
        timeout=300,
    )
