"""A likeness score on every asset that shows a person (PRODUCT.md §3, issue #25).

``asset_score`` is the one entry point: any image or video asset, scored against a character's
identity reference with dlib's embeddings (``characters.identity``). An image gets the score of
its one face; a video one frame a second (at most ``LIKENESS_VIDEO_FRAMES_MAX``, spread over the
clip) and the score of its worst frame, with the per-second strip kept in ``likeness_frames``.
Images with no face or several faces are not given a number ("no face", "several faces"): they
can't be said to look like anyone, and keepers excludes them.

Demo renders are "not scored": a placeholder, or the character's own face pasted back, measured
against itself says nothing. With ``DEMO_FACE_POOL`` set (tests, benchmarks), the demo pastes real
photos, and those are measured like any other image.

Runs in the worker on its own queue (``identity``), so a burst of scoring never waits in front
of provider work; a repeated run writes the same result.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assets.models import Asset, Likeness
from assets.storage import storage
from characters import identity as faces
from characters.models import Character
from generation.models import GenerationImage
from providers.adapters import demo_faces

log = logging.getLogger(__name__)

FFMPEG_TIMEOUT = 120
FRAME_PX = 640  # frames are analysed at this width: HOG finds faces from ~80 px


@dataclass
class Measured:
    status: str
    score: int | None = None
    frames: list[dict] = field(default_factory=list)


def _face_score(analysed: list[faces.Face], reference) -> Measured:
    if not analysed:
        return Measured(Likeness.NO_FACE)
    if len(analysed) > 1:
        return Measured(Likeness.SEVERAL_FACES)
    return Measured(Likeness.SCORED, faces.score(faces.distance(analysed[0].embedding, reference)))


def image_measure(source, reference) -> Measured:
    """The likeness of one picture (PIL image, path or binary file) to ``reference`` (an embedding)."""
    return _face_score(faces.analyse(source), reference)


@functools.cache
def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@contextlib.contextmanager
def _frames(path: Path, duration: float | None) -> Iterator[list[tuple[float, Path]]]:
    """(second, JPEG) of the frames sampled: one a second, at most LIKENESS_VIDEO_FRAMES_MAX."""
    most = max(1, settings.LIKENESS_VIDEO_FRAMES_MAX)
    seconds = max(duration or 1.0, 0.1)
    rate = min(1.0, most / seconds)
    folder = Path(tempfile.mkdtemp(prefix="personae-likeness-"))
    try:
        subprocess.run(  # noqa: S603 - the bundled ffmpeg, our own arguments, no shell
            [
                _ffmpeg(),
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "error",
                "-i",
                str(path),
                "-vf",
                f"fps={rate:.6f},scale={FRAME_PX}:-2",
                "-frames:v",
                str(most),
                str(folder / "frame-%04d.jpg"),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=FFMPEG_TIMEOUT,
            check=True,
        )
        frames = sorted(folder.glob("frame-*.jpg"))
        yield [(round(index / rate, 2), frame) for index, frame in enumerate(frames)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def video_measure(path: Path, reference, *, duration: float | None) -> Measured:
    """Sampled frames' likeness; the video's score is its worst scored frame."""
    strip = []
    with _frames(path, duration) as frames:
        for second, frame in frames:
            measured = image_measure(frame, reference)
            strip.append({"second": second, "score": measured.score, "status": measured.status})
    scores = [int(f["score"]) for f in strip if f["score"] is not None]
    if not strip:
        return Measured(Likeness.UNREADABLE)
    if not scores:
        several = any(f["status"] == Likeness.SEVERAL_FACES for f in strip)
        return Measured(Likeness.SEVERAL_FACES if several else Likeness.NO_FACE, frames=strip)
    return Measured(Likeness.SCORED, min(scores), strip)


def _measure(asset: Asset, character: Character) -> Measured:
    if asset.is_placeholder and not demo_faces.pool():
        return Measured(Likeness.NOT_SCORED)
    if not character.identity_embedding:
        return Measured(Likeness.NO_REFERENCE)
    reference = character.identity_embedding
    try:
        if asset.kind == Asset.Kind.VIDEO:
            suffix = Path(asset.original_key).suffix or ".mp4"
            with storage().open(asset.original_key, "rb") as src, tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
                shutil.copyfileobj(src, tmp)
                tmp.flush()
                return video_measure(Path(tmp.name), reference, duration=asset.duration)
        with storage().open(asset.variants.get("preview") or asset.original_key, "rb") as fh:
            return image_measure(fh, reference)
    except (FileNotFoundError, faces.UnreadablePhoto, subprocess.SubprocessError):
        log.warning("asset %s couldn't be read for its likeness", asset.pk)
        return Measured(Likeness.UNREADABLE)


def scorable(asset: Asset) -> bool:
    return asset.kind in (Asset.Kind.IMAGE, Asset.Kind.VIDEO)


def asset_score_pending(*, asset_id: int) -> None:
    """Mark a just-delivered asset "scoring" (its page says so until the worker has scored it)."""
    Asset.objects.filter(pk=asset_id, kind__in=(Asset.Kind.IMAGE, Asset.Kind.VIDEO), likeness_status="").update(
        likeness_status=Likeness.PENDING
    )  # delivered assets are already (jobs.engine.output_to_library); this covers any other caller


def asset_score(*, asset_id: int, character_id: int | None = None) -> Asset | None:
    """Score any asset against a character (``character_id``, else the one it is shown under) and
    keep the result on it, in its recipe and on the pack image it was made as. Returns the asset,
    or None when it is gone, isn't a picture or video, or no character is known."""
    asset = Asset.objects.select_related("character").filter(pk=asset_id).first()
    if asset is None or not scorable(asset):
        return None
    character = Character.objects.filter(pk=character_id).first() if character_id else asset.character
    # A character of another organisation only for an image made under a licence of its likeness
    # (licensing writes the licence into the recipe when it delivers the image).
    licensed = asset.character_id == getattr(character, "pk", None) and bool((asset.recipe or {}).get("license"))
    if character is None or (character.org_id != asset.org_id and not licensed):
        Asset.objects.filter(pk=asset.pk, likeness_status=Likeness.PENDING).update(likeness_status="")
        return None
    measured = _measure(asset, character)
    with transaction.atomic():
        locked = Asset.objects.select_for_update().filter(pk=asset.pk).first()
        if locked is None:
            return None
        recipe = locked.metadata.get("recipe")
        metadata = locked.metadata
        if isinstance(recipe, dict):
            metadata = {**metadata, "recipe": {**recipe, "identity_score": measured.score}}
        Asset.objects.filter(pk=locked.pk).update(
            likeness=measured.score,
            likeness_status=measured.status,
            likeness_frames=measured.frames,
            likeness_scored_at=timezone.now(),
            metadata=metadata,
        )
        GenerationImage.objects.filter(asset_id=locked.pk).update(identity_score=measured.score, scored=True)
    locked.likeness, locked.likeness_status, locked.likeness_frames = measured.score, measured.status, measured.frames
    return locked


def character_rescore(*, character: Character) -> int:
    """Score again every image and video shown under ``character`` (after its identity reference
    was computed or changed). Returns how many were queued."""
    from identity import tasks

    ids = list(
        Asset.objects.filter(character=character, kind__in=(Asset.Kind.IMAGE, Asset.Kind.VIDEO)).values_list(
            "pk", flat=True
        )
    )
    Asset.objects.filter(pk__in=ids).update(likeness_status=Likeness.PENDING)
    character_id = character.pk
    transaction.on_commit(lambda: [tasks.asset_score.delay(asset_id, character_id) for asset_id in ids])
    return len(ids)
