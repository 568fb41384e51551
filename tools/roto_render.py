"""Rotoscoping's own ffmpeg work (the bundled ffmpeg, through ``tools.ffmpeg.run``): cutting the
chosen range before it is sent, and, from the alpha matte the model returns, the two results:

- a **WebM (VP9) with an alpha channel** (``yuva420p``; the colour premultiplied, so a player that
  ignores the alpha shows the cut-out on black), with the range's sound as Opus;
- an **MP4 preview** of the cut-out over a grey checkerboard, which any browser plays.

A matte made by the demo provider is labelled "DEMO · not AI" on both, large enough to read in a
thumbnail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from core.exceptions import DomainError
from tools import ffmpeg

Report = Callable[[float], bool]

MAX_SIDE = 1920  # the range is sent at most this long on its longer side (RVM is trained on HD)
CHECKER = 16  # px, the checkerboard's squares
_SIZE = re.compile(r"Stream #\S+.*Video: .*?[ ,](\d{2,5})x(\d{2,5})[ ,\]]")
_AUDIO = re.compile(r"Stream #\S+.*Audio: ")

UNREADABLE = "We couldn't read this video's picture: it may be damaged. Export it again, upload it, and rotoscope that."


def size_of(description: str) -> tuple[int, int] | None:
    match = _SIZE.search(description)
    return (int(match.group(1)), int(match.group(2))) if match else None


def has_audio(description: str) -> bool:
    return bool(_AUDIO.search(description))


def _even_fit(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def trim(source: Path, start: float, end: float, out: Path, report: Report) -> Path:
    """``start``–``end`` of ``source`` as an H.264 MP4 (cut exactly, not at keyframes), at most
    ``MAX_SIDE`` px on its longer side, with its sound. Raises ``DomainError`` for a damaged video."""
    description = ffmpeg.probe(source)
    size = size_of(description)
    if size is None:
        raise DomainError(UNREADABLE)
    width, height = _even_fit(*size)
    seconds = end - start
    ffmpeg.run(
        [
            *("-ss", f"{start:.3f}", "-i", str(source), "-t", f"{seconds:.3f}"),
            *("-map", "0:v:0", "-map", "0:a:0?", "-vf", f"scale={width}:{height},setsar=1"),
            *("-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"),
            *("-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", "-y", str(out)),
        ],
        seconds=seconds,
        progress=report,
        failed=UNREADABLE,
    )
    if not out.exists() or out.stat().st_size == 0 or size_of(ffmpeg.probe(out)) is None:
        raise DomainError(UNREADABLE)
    return out


def checkerboard(width: int, height: int, path: Path) -> Path:
    image = Image.new("RGB", (width, height), (204, 204, 204))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, CHECKER):
        for x in range((y // CHECKER % 2) * CHECKER, width, 2 * CHECKER):
            draw.rectangle([x, y, x + CHECKER - 1, y + CHECKER - 1], fill=(150, 150, 150))
    image.save(path)
    return path


def demo_label(width: int, height: int, path: Path) -> Path:
    """A transparent frame with "DEMO · not AI" and what made the matte, sized to the short side."""
    from providers.adapters.demo_drawing import text_font

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    title, detail = text_font(max(12, short // 9)), text_font(max(9, short // 26))
    lines = [("DEMO · not AI", title), ("background subtraction, no model", detail)]
    pad = max(4, short // 40)
    boxes = [draw.textbbox((0, 0), text, font=font) for text, font in lines]
    box_w = max(b[2] - b[0] for b in boxes) + 2 * pad
    box_h = sum(b[3] - b[1] for b in boxes) + pad * (len(lines) + 1)
    draw.rectangle([pad, pad, pad + box_w, pad + box_h], fill=(17, 17, 17, 220))
    y: float = 2 * pad
    for (text, font), box in zip(lines, boxes, strict=True):
        draw.text((2 * pad - box[0], y - box[1]), text, font=font, fill=(255, 255, 255, 255))
        y += box[3] - box[1] + pad
    image.save(path)
    return path


def compose(clip: Path, matte: Path, work: Path, *, seconds: float, demo: bool, report: Report) -> tuple[Path, Path]:
    """The WebM with alpha and the MP4 preview, from the trimmed ``clip`` and the model's ``matte``
    (white where the person is, black elsewhere). ``report`` goes from 0 to 1 over both."""
    description = ffmpeg.probe(clip)
    size = size_of(description)
    if size is None:
        raise DomainError(UNREADABLE)
    if size_of(ffmpeg.probe(matte)) is None:
        raise DomainError("The matting model's result wasn't a video we could read. Nothing was charged: retry it.")
    width, height = size
    sound = has_audio(description)
    label = [] if not demo else ["-loop", "1", "-i", str(demo_label(width, height, work / "label.png"))]
    # The matte is scaled to the clip and read as grey; its frames are paired with the clip's by time.
    alpha = f"[1:v]scale={width}:{height},format=gray[m];[0:v]format=yuva420p[c];[c][m]alphamerge"
    sound_out = ["-map", "0:a:0"] if sound else []

    webm = work / "matte.webm"
    cut = f"{alpha}[a];[a][2:v]overlay=format=auto:shortest=1" if demo else alpha
    ffmpeg.run(
        [
            *("-i", str(clip), "-i", str(matte), *label),
            *("-filter_complex", f"{cut},premultiply=inplace=1,format=yuva420p[o]"),
            *("-map", "[o]", *sound_out, "-shortest"),
            *("-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-deadline", "realtime", "-cpu-used", "8"),
            *("-row-mt", "1", "-b:v", "0", "-crf", "30", "-auto-alt-ref", "0"),
            *(["-c:a", "libopus", "-b:a", "128k"] if sound else []),
            *("-f", "webm", "-y", str(webm)),
        ],
        seconds=seconds,
        progress=lambda fraction: report(fraction * 0.6),
        failed="Making the WebM with transparency failed. Nothing was charged: retry it.",
    )

    preview = work / "preview.mp4"
    board = ["-loop", "1", "-i", str(checkerboard(width, height, work / "checker.png"))]
    over = f"{alpha}[a];[2:v][a]overlay=shortest=1" + ("[p];[p][3:v]overlay=shortest=1" if demo else "")
    ffmpeg.run(
        [
            *("-i", str(clip), "-i", str(matte), *board, *label),
            *("-filter_complex", f"{over},format=yuv420p[o]"),
            *("-map", "[o]", *sound_out, "-shortest"),
            *("-c:v", "libx264", "-preset", "veryfast", "-crf", "22", "-pix_fmt", "yuv420p"),
            *(["-c:a", "aac", "-b:a", "128k"] if sound else []),
            *("-movflags", "+faststart", "-y", str(preview)),
        ],
        seconds=seconds,
        progress=lambda fraction: report(0.6 + fraction * 0.4),
        failed="Making the preview failed. Nothing was charged: retry it.",
    )
    return webm, preview
