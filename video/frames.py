"""The animation's first step, done here rather than at a provider: cut the part of the reference
video the animation follows and take its first frame, with the bundled ffmpeg; then count the faces
in that frame (dlib, ``characters.identity``), so a frame with no face or several stops the
pipeline before anything is paid for."""

from __future__ import annotations

import contextlib
import functools
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from assets import storage
from characters import identity
from core.exceptions import DomainError

FFMPEG_TIMEOUT = 120
FRAME_MAX_PIXELS = 1024 * 1024  # the swap and the refinement are priced per megapixel: keep the frame under one


@dataclass(frozen=True)
class Prepared:
    clip: Path  # the cut, re-encoded as H.264 MP4
    frame: Path  # its first frame, a JPEG under one megapixel
    faces: int


@functools.cache
def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - the bundled ffmpeg, our own arguments, no shell
            [_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=FFMPEG_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DomainError(
            "Cutting the video took too long; it may be damaged. Export it again and re-upload."
        ) from None
    if done.returncode != 0:
        raise DomainError("We couldn't cut this video; it may be damaged or use an unusual format.")


@contextlib.contextmanager
def prepared(key: str, *, start: float, seconds: float) -> Iterator[Prepared]:
    """The clip from ``start`` for ``seconds`` of the stored video at ``key``, its first frame and
    the number of faces in it, as temporary files. Raises ``DomainError``."""
    with tempfile.TemporaryDirectory(prefix="personae-animate-") as folder:
        work = Path(folder)
        source = work / "source"
        try:
            with storage.storage().open(key, "rb") as src, source.open("wb") as out:
                while chunk := src.read(1024 * 1024):
                    out.write(chunk)
        except FileNotFoundError:
            raise DomainError("The reference video's file is missing. Upload it again.") from None
        clip, frame = work / "clip.mp4", work / "frame.jpg"
        _run(
            [
                *("-ss", f"{start:.3f}", "-protocol_whitelist", "file", "-i", f"file:{source}"),
                *("-t", f"{seconds:.3f}", "-map", "0:v:0", "-map", "0:a?"),
                *("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"),
                *("-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-y", str(clip)),
            ]
        )
        _run(["-i", str(clip), "-frames:v", "1", "-q:v", "2", "-y", str(frame)])
        if not frame.exists() or frame.stat().st_size == 0:
            raise DomainError("We couldn't read a picture at that point of the video. Choose another start.")
        with Image.open(frame) as image:
            image.load()
            upright = image.convert("RGB")
        if upright.width * upright.height > FRAME_MAX_PIXELS:
            scale = (FRAME_MAX_PIXELS / (upright.width * upright.height)) ** 0.5
            upright = upright.resize(
                (int(upright.width * scale) // 2 * 2, int(upright.height * scale) // 2 * 2), Image.Resampling.LANCZOS
            )
            upright.save(frame, "JPEG", quality=94)
        yield Prepared(clip=clip, frame=frame, faces=len(identity.analyse(upright)))


def face_problem(faces: int, at: float) -> str:
    """Why a first frame with ``faces`` faces can't be animated ('' if it can)."""
    when = f"at {at:g} s" if at else "at the start"
    if faces == 0:
        return (
            f"No face was found in the video's frame {when}. The face swap needs the person's face in view: "
            "choose a start where it is, or another video. Nothing was charged."
        )
    if faces > 1:
        return (
            f"{faces} faces were found in the video's frame {when}. Wan Animate follows one person: choose a "
            "start where only they are in view, or another video. Nothing was charged."
        )
    return ""
