"""The bundled ffmpeg (imageio_ffmpeg), run for a tool: progress read from ``-progress``, a stop
when the job is cancelled meanwhile, and a time limit."""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

from assets import storage
from core.exceptions import DomainError


class Stopped(Exception):
    """The job was cancelled while ffmpeg ran: it was stopped, and nothing is kept."""


@functools.cache
def exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"personae-{prefix}-") as folder:
        yield Path(folder)


def fetch(key: str, to: Path, what: str) -> Path:
    """Copy the stored file at ``key`` to ``to``."""
    try:
        with storage.storage().open(key, "rb") as src, to.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
    except FileNotFoundError:
        raise DomainError(f"The {what}'s file is missing from storage. Upload it again.") from None
    return to


def run(
    args: list[str],
    *,
    seconds: float,
    progress: Callable[[float], bool] | None = None,
    failed: str,
    timeout: float | None = None,
) -> str:
    """Run ffmpeg with ``args``; ``progress(fraction)`` is called as it goes and stops it by
    returning False (raises ``Stopped``). ``seconds``: how long the output will be, for the fraction.
    Returns what ffmpeg wrote to stderr. Raises ``DomainError(failed)`` if ffmpeg fails or overruns."""
    limit = timeout or settings.TOOLS_TIMEOUT_SECONDS
    command = [exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", *args]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - the bundled ffmpeg, our own arguments, no shell
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        began = time.monotonic()
        last_report = 0.0
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if time.monotonic() - began > limit:
                    process.kill()
                    raise DomainError(f"{failed} It took longer than {limit // 60} minutes, so it was stopped.")
                match = re.match(r"out_time_us=(\d+)", line)
                if match and progress is not None and time.monotonic() - last_report > 0.5:
                    last_report = time.monotonic()
                    fraction = min(1.0, int(match.group(1)) / 1e6 / max(seconds, 0.001))
                    if not progress(fraction):
                        process.kill()
                        raise Stopped
            process.wait(timeout=max(1.0, limit - (time.monotonic() - began)))
        except subprocess.TimeoutExpired:
            process.kill()
            raise DomainError(f"{failed} It took longer than {limit // 60} minutes, so it was stopped.") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise DomainError(failed)
    return stderr


def probe(path: Path) -> str:
    """ffmpeg's description of ``path`` (its streams and duration), from stderr."""
    done = subprocess.run(  # noqa: S603
        [exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.stderr.decode("utf-8", "replace")


def duration_of(description: str) -> float | None:
    match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", description)
    if not match:
        return None
    hours, minutes, secs = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)
