"""Tools figures (local work only, no database): the same code the worker runs for a job.

1. **Colour grade of a 12 MP image** (4000 × 3000 JPEG of noise and gradients): decode, bake the
   grade (Cinematic + sliders) into a 33³ table, apply it with Pillow's Color3DLUT, encode a
   quality-95 JPEG.
2. **Colour grade of a 10 s 1080p clip** (ffmpeg's test pattern at 25 fps, with sound): ffmpeg
   lut3d (tetrahedral) and an x264 veryfast re-encode, the sound copied.
3. **Audio cleanup of 60 s** (44.1 kHz mono WAV: a tone over hiss and 50 Hz hum): the level check
   (volumedetect), the noise floor from a quiet stretch, then high-pass, hum notches, afftdn,
   de-esser and loudnorm to −16 LUFS, written as WAV and as MP3.

Each is run ``BENCH_TOOLS_RUNS`` times (default 3); the median and the slowest are printed.
Run with ``python -m benchmarks`` (all figures) or ``python -m benchmarks.tools``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_TOOLS_RUNS", "3"))

Row = tuple[str, str, str]


def _time(work) -> str:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return f"{statistics.median(timings):.2f} / {max(timings):.2f} s"


def run() -> list[Row]:
    import numpy as np
    from PIL import Image

    from tools import audio, grading, luts
    from tools.tests import fixtures

    yes = lambda _fraction: True  # noqa: E731 - progress: never cancelled
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="personae-bench-tools-") as folder:
        work = Path(folder)
        rng = np.random.default_rng(7)
        ramp = np.linspace(0, 255, 4000, dtype=np.float32)[None, :, None]
        pixels = np.clip(rng.normal(0, 25, (3000, 4000, 3)) + ramp * np.array([1.0, 0.7, 0.4]), 0, 255)
        photo = work / "photo.jpg"
        Image.fromarray(pixels.astype(np.uint8)).save(photo, "JPEG", quality=92)
        adjustments = luts.Adjustments(exposure=0.3, contrast=15, saturation=-10, temperature=20, tint=5)

        def grade_photo() -> None:
            table = luts.baked(luts.preset_cube("cinematic"), adjustments)
            with Image.open(photo) as image:
                image.load()
                luts.grade_image(image, table).save(work / "graded.jpg", "JPEG", quality=95, subsampling=0)

        rows.append(("colour grade, 12 MP JPEG (decode, bake, LUT, encode)", _time(grade_photo), "Pillow Color3DLUT"))

        clip = work / "clip.mp4"
        clip.write_bytes(fixtures.clip(10.0, "1920x1080"))
        table = luts.baked(luts.preset_cube("teal-orange"), adjustments)
        rows.append(
            (
                "colour grade, 10 s 1080p25 clip",
                _time(lambda: grading.grade_video_file(clip, table, work, seconds=10, report=yes)),
                "ffmpeg lut3d + x264 veryfast",
            )
        )

        recording = work / "voice.wav"
        recording.write_bytes(fixtures.recording("wav", 60.0))
        params = {
            "denoise": True,
            "noise_start": 0,
            "noise_end": 0.45,
            "hum": 50,
            "highpass": 80,
            "deess": True,
            "loudness": -16,
        }

        def clean(fmt: str):
            def go() -> None:
                audio.levels(recording, 60)
                floor = audio.levels(recording, 1, None, (0, 0.45))[0]
                audio.clean_file(recording, params, work / f"clean.{fmt}", noise_floor=floor, seconds=60, report=yes)

            return go

        rows.append(
            ("audio cleanup, 60 s → WAV (all five filters)", _time(clean("wav")), "check + noise floor + clean")
        )
        rows.append(("audio cleanup, 60 s → MP3", _time(clean("mp3")), "the same, LAME VBR q2"))
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"\nTools (local work the worker does for a job; median / slowest of {RUNS}, {os.cpu_count()} cores):\n")
    width = max(len(measure) for measure, _result, _note in rows) + 2
    result_width = max(len(result) for _measure, result, _note in rows) + 2
    print(f"{'measure':<{width}}{'result':>{result_width}}  note")
    for measure, result, note in rows:
        print(f"{measure:<{width}}{result:>{result_width}}  {note}")


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401  (environment, embedded services, django.setup())

    print_table(run())
