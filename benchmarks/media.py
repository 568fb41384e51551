"""Media processing figures: a 12-megapixel JPEG to thumb + preview on one core, and a 1080p
video probe + poster. Needs no database; run alone with ``python -m benchmarks.media``.

The photo is generated (4000x3000, grain, EXIF orientation and GPS, ~3 MB at quality 90, like a
phone's); the video is 5 s of 1080p30 H.264 with sound and a keyframe every 2 s.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assets import media
from assets.tests import media_samples

IMAGE_RUNS = 15
VIDEO_RUNS = 7


def _median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: imports, codec initialisation, page cache
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _on_one_core(action: Callable[[], float]) -> float:
    """Run ``action`` pinned to a single CPU (Linux), then restore the affinity."""
    if not hasattr(os, "sched_setaffinity"):
        return action()
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(previous)})
    try:
        return action()
    finally:
        os.sched_setaffinity(0, previous)


def run() -> list[tuple[str, float, str]]:
    """Rows of (label, value, unit)."""
    with tempfile.TemporaryDirectory(prefix="personae-bench-media-") as tmp:
        directory = Path(tmp)
        photo = media_samples.jpeg_12mp(directory / "photo.jpg")
        photo_sniffed = media.sniff(photo)
        image_ms = _on_one_core(lambda: _median_ms(lambda: media.process_image(photo, photo_sniffed), IMAGE_RUNS))

        video = media_samples.video_1080p(directory / "clip.mp4")
        video_sniffed = media.sniff(video)
        video_ms = _median_ms(lambda: media.process_video(video, video_sniffed), VIDEO_RUNS)
        one_core_video_ms = _on_one_core(lambda: _median_ms(lambda: media.process_video(video, video_sniffed), 3))

    return [
        (f"12 MP JPEG → thumb + preview, 1 core (median of {IMAGE_RUNS})", image_ms, "ms"),
        (f"1080p 5 s MP4 → probe + poster (median of {VIDEO_RUNS})", video_ms, "ms"),
        ("1080p 5 s MP4 → probe + poster, 1 core (median of 3)", one_core_video_ms, "ms"),
    ]


def print_table(rows: list[tuple[str, float, str]]) -> None:
    print("\nMedia processing (assets.media, no database):\n")
    width = max(len(label) for label, _value, _unit in rows) + 2
    for label, value, unit in rows:
        print(f"{label:<{width}}{value:>9.1f} {unit}")


if __name__ == "__main__":
    print_table(run())
