"""Which model makes a clip, at what size and price: the one place that decides.

LTX-2 makes landscape 16:9 only (its schema has no other aspect ratio: a portrait image would be
cropped to a letterbox strip of itself), so landscape clips go to LTX-2, Pro or Fast, at 1080p,
1440p or 2160p, with sound if asked; portrait (9:16) and square clips go to Wan 2.2, which keeps the
image's shape, at 480p, 580p or 720p, without sound. Prices per second follow the resolution (see
``billing/prices.py`` for the margin behind each tier).
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.prices import operation_credits

DURATIONS = (6, 8, 10)
SPEEDS = {"fast": "Fast", "pro": "Pro"}
WRITER_OPERATION = "prompt_generation"  # the prompt generator's 1 credit, when it writes the motion
WAN_FPS = 16  # Wan's native rate; 161 frames is its most, about 10 s
LTX_FPS = "25"


@dataclass(frozen=True)
class Shape:
    key: str
    label: str
    orientation: str  # landscape | portrait | square
    ratio: float


SHAPES = {
    shape.key: shape
    for shape in (
        Shape("16:9", "Landscape 16:9", "landscape", 16 / 9),
        Shape("9:16", "Portrait 9:16", "portrait", 9 / 16),
        Shape("1:1", "Square 1:1", "square", 1.0),
    )
}


@dataclass(frozen=True)
class Resolution:
    key: str
    price_operation: str

    @property
    def credits_per_second(self) -> int:
        return operation_credits(self.price_operation)


LTX_RESOLUTIONS = (
    Resolution("1080p", "image_to_video"),
    Resolution("1440p", "image_to_video_hd"),
    Resolution("2160p", "image_to_video_4k"),
)
WAN_RESOLUTIONS = (
    Resolution("480p", "image_to_video"),
    Resolution("580p", "image_to_video"),
    Resolution("720p", "image_to_video_hd"),
)


def uses_ltx(shape: str) -> bool:
    return SHAPES[shape].orientation == "landscape"


def resolutions(shape: str) -> tuple[Resolution, ...]:
    return LTX_RESOLUTIONS if uses_ltx(shape) else WAN_RESOLUTIONS


def default_resolution(shape: str) -> str:
    return "1080p" if uses_ltx(shape) else "580p"


def resolution(shape: str, key: str) -> Resolution | None:
    return next((r for r in resolutions(shape) if r.key == key), None)


def orientation(width: int, height: int) -> str:
    ratio = width / max(1, height)
    return "landscape" if ratio > 1.1 else "portrait" if ratio < 0.9 else "square"


def shape_for(width: int, height: int) -> str:
    """The shape closest to an image's own."""
    ratio = width / max(1, height)
    return min(SHAPES, key=lambda key: abs(SHAPES[key].ratio - ratio))


def shape_problem(width: int, height: int, shape: str) -> str:
    """Why ``shape`` doesn't suit an image of ``width`` × ``height`` ('' if it does): a landscape
    clip of a portrait image (or the other way round) would crop most of the picture away."""
    image = orientation(width, height)
    wanted = SHAPES[shape].orientation
    if {image, wanted} == {"landscape", "portrait"}:
        return (
            f"This image is {image} ({width} × {height} px) and you asked for a {wanted} "
            f"{shape} clip: the model would crop away most of the picture. Choose "
            f"{shape_for(width, height)}, or crop the image first."
        )
    return ""


def operation(shape: str, speed: str) -> str:
    """The registry operation for a clip of this shape."""
    if not uses_ltx(shape):
        return "image_to_video_wan"
    return "image_to_video_fast" if speed == "fast" else "image_to_video"


def credits(shape: str, resolution_key: str, seconds: int, *, write: bool) -> int:
    chosen = resolution(shape, resolution_key)
    assert chosen is not None  # callers check the resolution first
    return operation_credits(chosen.price_operation, seconds) + (operation_credits(WRITER_OPERATION) if write else 0)


def price_table() -> dict:
    """What the page's script needs to show the cost of every choice: credits a second by shape and
    resolution, and the writer's price."""
    return {
        "perSecond": {shape: {r.key: r.credits_per_second for r in resolutions(shape)} for shape in SHAPES},
        "defaults": {shape: default_resolution(shape) for shape in SHAPES},
        "writer": operation_credits(WRITER_OPERATION),
    }


def provider_input(
    *, shape: str, speed: str, resolution_key: str, seconds: int, audio: bool, safety_checker: bool, seed: int
) -> dict:
    """The request body for the clip, without ``image_url`` and ``prompt`` (the job adds them)."""
    if uses_ltx(shape):
        # LTX-2 has no safety-checker switch in its schema: nothing to send either way.
        return {
            "duration": str(seconds),
            "resolution": resolution_key,
            "aspect_ratio": "16:9",
            "fps": LTX_FPS,
            "generate_audio": audio,
        }
    return {
        "num_frames": min(161, seconds * WAN_FPS + 1),
        "frames_per_second": WAN_FPS,
        "resolution": resolution_key,
        "aspect_ratio": shape,
        "acceleration": "regular" if speed == "fast" else "none",
        "enable_safety_checker": safety_checker,
        "enable_output_safety_checker": safety_checker,
        "seed": seed,
    }
