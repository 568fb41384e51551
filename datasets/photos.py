"""What the builder needs to know about a photo before anything is paid for, and the local steps.

- ``face_read``: the faces in a library image (dlib, on its 1024 px preview, boxes in the
  original's pixels), with the tilt of the largest one and, when none is upright, whether the
  photo is on its side.
- ``source_problem`` / ``target_problem``: why a face or body photo can't be used, in words.
- ``sources_outliers``: the source faces that aren't the same person as the rest.
- ``square_crop``: the face-aware 1024² crop, with the padding rule for full-body shots.
- ``demo_stamp``: the "DEMO" label on results the offline demo provider made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from assets import storage
from assets.models import Asset
from characters import identity
from characters.dataset import consensus
from datasets import rules


@dataclass(frozen=True)
class FaceRead:
    faces: list[identity.Face]
    roll: float | None  # degrees, of the largest face: the line through its eyes against level
    sideways: int = 0  # 90/180/270 when faces were found only with the photo turned that far


def _roll(pixels: np.ndarray, box: tuple[int, int, int, int]) -> float:
    import dlib

    _detector, predictor, _encoder = identity._load_models()
    shape = predictor(pixels, dlib.rectangle(*box))
    points = [(shape.part(i).x, shape.part(i).y) for i in range(5)]
    # 5-point model: 0–1 one eye's corners, 2–3 the other's, 4 under the nose.
    right = ((points[0][0] + points[1][0]) / 2, (points[0][1] + points[1][1]) / 2)
    left = ((points[2][0] + points[3][0]) / 2, (points[2][1] + points[3][1]) / 2)
    angle = math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))
    return abs((angle + 90) % 180 - 90)


def _preview(asset: Asset) -> Image.Image:
    with storage.storage().open(asset.variants.get("preview") or asset.original_key, "rb") as fh:
        image = Image.open(fh)
        image.load()
    return image.convert("RGB")


def face_read(asset: Asset) -> FaceRead:
    """The faces in ``asset`` (largest first; boxes in the original's pixels). Raises
    ``identity.UnreadablePhoto``."""
    preview = _preview(asset)
    size = (asset.width or preview.width, asset.height or preview.height)
    analysis = identity.photo_analyse(preview, size=size)
    if not analysis.faces:
        for turn in (90, 270, 180):
            if identity.photo_analyse(preview.rotate(turn, expand=True)).faces:
                return FaceRead(faces=[], roll=None, sideways=turn)
        return FaceRead(faces=[], roll=None)
    scale = preview.width / size[0]
    box = tuple(round(v * scale) for v in analysis.faces[0].box)
    return FaceRead(faces=analysis.faces, roll=_roll(np.asarray(preview), box))  # type: ignore[arg-type]


def _face_problem(read: FaceRead, what: str) -> str:
    if read.sideways:
        return (
            f"This {what} is on its side (the face is turned {read.sideways}°). Rotate it upright and upload it again."
        )
    if not read.faces:
        return f"No face was found in this {what}. Use one where the face is visible and facing the camera."
    if len(read.faces) > 1:
        return f"This {what} has {len(read.faces)} faces. Use one with only the person, or crop the others out."
    left, _top, right, _bottom = read.faces[0].box
    if right - left < rules.MIN_FACE_PX:
        return (
            f"The face is too small to swap ({right - left} px wide, at least {rules.MIN_FACE_PX} needed). "
            "Use a photo taken closer, or at a higher resolution."
        )
    if read.roll is not None and read.roll > rules.MAX_ROLL_DEGREES:
        return (
            f"The head is tilted {read.roll:.0f}° (at most {rules.MAX_ROLL_DEGREES:.0f}°). "
            "Use a photo where the head is closer to upright."
        )
    return ""


def source_problem(read: FaceRead) -> str:
    return _face_problem(read, "face photo")


def target_problem(read: FaceRead) -> str:
    return _face_problem(read, "body photo")


def sources_outliers(embeddings: dict[int, list[float]]) -> dict[int, float]:
    """``{source id: distance}`` for the sources that aren't the person most of the others are."""
    centre, _members = consensus(list(embeddings.values()))
    if centre is None:
        return {}
    far = {}
    for source_id, embedding in embeddings.items():
        d = identity.distance(embedding, centre)
        if d > rules.SOURCE_OUTLIER_DISTANCE:
            far[source_id] = d
    return far


# --- The crop -----------------------------------------------------------------------------------

# A face shorter than this share of the photo's height is a full-body shot: a square cut from it
# would lose the head or the feet, so the whole photo is padded to a square instead.
FULL_BODY_FACE_SHARE = 0.12


def square_crop(image: Image.Image, face_box, side: int = rules.OUTPUT_SIDE) -> tuple[Image.Image, str]:
    """``image`` as a ``side``² square: (image, rule). ``face-crop``: a square as large as the
    short side, placed so the face sits in the upper third and is never cut. ``padded``: for a
    full-body shot (face under 12 % of the height) or no face, the whole photo on a blurred copy
    of itself, so head and feet both stay."""
    width, height = image.size
    if width == height:
        return image.resize((side, side), Image.Resampling.LANCZOS), "face-crop"
    if face_box:
        left, top, right, bottom = face_box
        face_h = bottom - top
        portrait = height > width
        if not (portrait and face_h / height < FULL_BODY_FACE_SHARE):
            short = min(width, height)
            cx, cy = (left + right) / 2, (top + bottom) / 2
            x = min(max(0, round(cx - short / 2)), width - short)
            y = min(max(0, round(cy - short / 3)), height - short)
            square = image.crop((x, y, x + short, y + short))
            return square.resize((side, side), Image.Resampling.LANCZOS), "face-crop"
    return _padded(image, side), "padded"


def _padded(image: Image.Image, side: int) -> Image.Image:
    width, height = image.size
    scale = side / max(width, height)
    inner = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS)
    cover = side / min(width, height)
    back = image.resize((max(side, round(width * cover)), max(side, round(height * cover))), Image.Resampling.BILINEAR)
    back = back.crop(
        ((back.width - side) // 2, (back.height - side) // 2, (back.width + side) // 2, (back.height + side) // 2)
    )
    back = back.filter(ImageFilter.GaussianBlur(side / 40)).point(lambda v: int(v * 0.6))
    back.paste(inner, ((side - inner.width) // 2, (side - inner.height) // 2))
    return back


def bucket_for(face_share: float | None) -> str:
    """The 12-9-6-3 bucket a result belongs in, from how much of the frame its face fills."""
    if face_share is None:
        return "variety"
    if face_share >= 0.22:
        return "closeup"
    if face_share >= 0.11:
        return "half"
    return "full"


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def demo_stamp(image: Image.Image, detail: str) -> None:
    """A "DEMO" tag across the top-left corner, large enough to read on a 150 px thumbnail."""
    draw = ImageDraw.Draw(image)
    big = _font(max(18, image.width // 14))
    small = _font(max(11, image.width // 48))
    pad = max(6, image.width // 80)
    box = draw.textbbox((0, 0), "DEMO", font=big)
    sbox = draw.textbbox((0, 0), detail, font=small)
    w = max(box[2] - box[0], sbox[2] - sbox[0]) + pad * 2
    h = (box[3] - box[1]) + (sbox[3] - sbox[1]) + pad * 3
    draw.rectangle((pad, pad, pad + w, pad + h), fill=(200, 30, 60))
    draw.text((pad * 2, pad * 2 - box[1]), "DEMO", font=big, fill=(255, 255, 255))
    draw.text((pad * 2, pad * 2 + (box[3] - box[1]) + pad - sbox[1]), detail, font=small, fill=(255, 255, 255))


def sharpen(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.UnsharpMask(radius=2, percent=60, threshold=3))
