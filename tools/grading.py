"""Colour grading (local, real): what a grade is asked for, checked, and made.

Params: ``look`` ("" for sliders only, a preset's slug, or ``lut:<public_id>`` for an uploaded
``.cube``) and the five sliders. Images go through Pillow's ``Color3DLUT`` (trilinear), videos
through ffmpeg's ``lut3d`` (tetrahedral) with the sound copied as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from django.conf import settings
from PIL import Image

from accounts.models import User
from assets.models import Asset
from core.exceptions import DomainError
from orgs.models import Organization
from tools import ffmpeg, luts
from tools.models import Lut, ToolJob
from tools.services import Made, tool_start

MAX_LUT_UPLOAD = luts.MAX_CUBE_BYTES


def source_problem(asset: Asset) -> str:
    """Why ``asset`` can't be graded ('' if it can)."""
    if asset.kind not in (Asset.Kind.IMAGE, Asset.Kind.VIDEO):
        return "Colour grading works on images and videos."
    limit = settings.TOOLS_GRADE_VIDEO_MAX_SECONDS
    duration = asset.duration or 0
    if asset.kind == Asset.Kind.VIDEO and duration > limit:
        return f"This video is {duration / 60:.1f} minutes long; colour grading takes videos up to {limit // 60} minutes. Trim it first."
    return ""


def look_of(org: Organization, look: str) -> tuple[luts.Cube | None, str]:
    """The LUT ``look`` names and its name; raises ``DomainError`` for one that doesn't exist."""
    if not look:
        return None, ""
    if look in luts.PRESETS:
        return luts.preset_cube(look), luts.PRESETS[look].name
    if look.startswith("lut:"):
        lut = Lut.objects.for_org(org).filter(public_id=_uuid(look[4:])).first() if _uuid(look[4:]) else None
        if lut is not None:
            return luts.parse_cube(lut.text), lut.name
    raise DomainError("That look isn't available any more. Choose another.", field="look")


def _uuid(text: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def grade_params(org: Organization, data: dict) -> dict:
    """The params of a grade from a form's ``data``; raises ``DomainError`` naming the field."""
    try:
        adjustments = luts.Adjustments.from_params(data)
    except ValueError:
        raise DomainError("The sliders must be numbers.") from None
    look = str(data.get("look") or "")
    _cube, name = look_of(org, look)
    if not look and adjustments.neutral:
        raise DomainError("Choose a look or move a slider: as it is, the grade changes nothing.", field="look")
    return {"look": look, "look_name": name, **adjustments.as_params()}


def grade_start(*, org: Organization, user: User | None, asset: Asset, data: dict, key: str = "") -> ToolJob:
    if problem := source_problem(asset):
        raise DomainError(problem)
    return tool_start(
        org=org, user=user, kind=ToolJob.Kind.GRADE, source=asset, params=grade_params(org, data), key=key
    )


def lut_upload(*, org: Organization, user: User | None, name: str, data: bytes) -> Lut:
    """Check and keep an uploaded ``.cube``. Raises ``luts.CubeError`` naming the line at fault."""
    if len(data) > MAX_LUT_UPLOAD:
        raise luts.CubeError(f"The file is over {MAX_LUT_UPLOAD // (1024 * 1024)} MB; a 65³ .cube is about 7 MB.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise luts.CubeError("The file isn't text, so it isn't a .cube LUT.") from None
    cube = luts.parse_cube(text)
    title = PurePath(name).stem[:100] or cube.title or "My LUT"
    return Lut.objects.create(org=org, name=title, size=cube.size, text=text, created_by=user)


def render(job: ToolJob, work: Path, report: Callable[[float], bool]) -> Made:
    """Grade the job's source into ``work``."""
    source = job.source
    assert source is not None
    cube, name = look_of(job.org, job.params.get("look", ""))
    adjustments = luts.Adjustments.from_params(job.params)
    table = luts.baked(cube, adjustments)
    recipe = {
        "operation": "color_grade",
        "source": str(source.public_id),
        "look": job.params.get("look", ""),
        "look_name": name,
        "adjustments": adjustments.as_params(),
    }
    stem = PurePath(source.original_filename or source.title or "graded").stem
    suffix = f"graded {name}" if name else "graded"
    title = f"{source.title} · {suffix}"[:200]
    original = ffmpeg.fetch(source.original_key, work / "source", "original")
    report(0.05)
    if source.kind == Asset.Kind.IMAGE:
        with Image.open(original) as image:
            image.load()
            graded = luts.grade_image(image, table)
        report(0.7)
        if graded.mode == "RGBA":
            out = work / "graded.png"
            graded.save(out, "PNG", optimize=False)
        else:
            out = work / "graded.jpg"
            graded.save(out, "JPEG", quality=95, subsampling=0)
        return Made(out, f"{stem} {suffix}{out.suffix}", title, recipe)
    out = grade_video_file(original, table, work, seconds=source.duration or 1.0, report=report)
    return Made(out, f"{stem} {suffix}.mp4", title, recipe)


def grade_video_file(original: Path, table, work: Path, *, seconds: float, report: Callable[[float], bool]) -> Path:
    """``original`` through the baked ``table`` with ffmpeg's lut3d (tetrahedral), the sound copied."""
    cube_file = work / "grade.cube"
    cube_file.write_text(luts.write_cube(table, "grade"))
    out = work / "graded.mp4"
    ffmpeg.run(
        [
            *("-protocol_whitelist", "file", "-i", f"file:{original}"),
            *("-map", "0:v:0", "-map", "0:a?", "-vf", f"lut3d=file={cube_file}:interp=tetrahedral"),
            *("-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p"),
            *("-c:a", "copy", "-movflags", "+faststart", "-y", str(out)),
        ],
        seconds=seconds,
        progress=report,
        failed="We couldn't grade this video; it may be damaged or use an unusual format.",
    )
    return out
