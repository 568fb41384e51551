"""Abstract artwork for the seeded blog posts, drawn with Pillow: brand-violet gradients and shapes,
no photographs and no text. Drawn at twice the size and scaled down, for smooth edges."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFilter

SIZE = (1600, 900)
SCALE = 2

INK = (23, 23, 31)
VIOLET = (109, 74, 255)
VIOLET_DEEP = (62, 34, 170)
LILAC = (205, 190, 255)
MIST = (243, 240, 255)
CORAL = (255, 122, 89)
SUN = (255, 209, 102)
MINT = (92, 225, 200)

Colour = tuple[int, int, int]


def _gradient(size: tuple[int, int], start: Colour, end: Colour, angle: float = 35) -> Image.Image:
    """A linear gradient from ``start`` to ``end`` along ``angle`` degrees (computed small and
    scaled up: a gradient has no detail to lose)."""
    width, height = size[0] // 8, size[1] // 8
    ramp = Image.linear_gradient("L").resize((width * 2, height * 2)).rotate(angle, resample=Image.Resampling.BICUBIC)
    left, top = width // 2, height // 2
    mask = ramp.crop((left, top, left + width, top + height)).resize(size, Image.Resampling.BICUBIC)
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)


def _glow(canvas: Image.Image, centre: tuple[float, float], radius: float, colour: Colour, strength: int) -> None:
    """A soft light: a blurred disc composited onto ``canvas``. Blurred at an eighth of the size
    and scaled up, which looks the same for something this soft and is much faster."""
    shrink = 8
    small = (canvas.width // shrink, canvas.height // shrink)
    layer = Image.new("RGBA", small, (*colour, 0))
    x, y, r = centre[0] / shrink, centre[1] / shrink, radius / shrink
    ImageDraw.Draw(layer).ellipse((x - r, y - r, x + r, y + r), fill=(*colour, strength))
    layer = layer.filter(ImageFilter.GaussianBlur(r * 0.6)).resize(canvas.size, Image.Resampling.BICUBIC)
    canvas.alpha_composite(layer)


def _shadow(canvas: Image.Image, box: tuple[float, float, float, float], radius: int) -> None:
    """A soft drop shadow under a rounded rectangle."""
    pad, blur = 80, 22
    left, top, right, bottom = (int(v) for v in box)
    layer = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    shape = (pad, pad + 18, pad + right - left, pad + 18 + bottom - top)
    ImageDraw.Draw(layer).rounded_rectangle(shape, radius=radius, fill=(40, 20, 110, 70))
    canvas.alpha_composite(layer.filter(ImageFilter.GaussianBlur(blur)), (left - pad, top - pad))


def _finish(canvas: Image.Image) -> Image.Image:
    return canvas.convert("RGB").resize(SIZE, Image.Resampling.LANCZOS)


def _mix(start: Colour, end: Colour, t: float) -> Colour:
    """The colour ``t`` of the way from ``start`` to ``end``."""
    r, g, b = (int(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    return (r, g, b)


def _portrait_tile(size: tuple[int, int], colour: Colour, head: float, lean: float = 0) -> Image.Image:
    """A rounded tile holding a head-and-shoulders mark cropped by the tile's edge, like a photo.
    ``head`` is the head's radius as a share of the tile width: large for a close-up."""
    width, height = size
    tile = Image.new("RGBA", size, (*colour, 255))
    figure = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(figure)
    r = width * head
    cx, cy = width / 2 + lean, height * 0.5 - r * 0.6
    draw.ellipse((cx - 2.1 * r, cy + 1.25 * r, cx + 2.1 * r, cy + 5.2 * r), fill=(255, 255, 255, 130))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 225))
    tile.alpha_composite(figure)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, width - 1, height - 1), radius=min(size) // 6, fill=255)
    tile.putalpha(mask)
    return tile


def dataset_tiles() -> Image.Image:
    """Thirty photo tiles in four groups of 12, 9, 6 and 3 (close-ups, half-body, full-body,
    variety): the 12-9-6-3 training set."""
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    canvas = _gradient((width, height), MIST, LILAC).convert("RGBA")
    _glow(canvas, (width * 0.8, height * 0.15), 560, VIOLET, 110)
    _glow(canvas, (width * 0.1, height * 0.95), 420, CORAL, 60)
    tile, gap, group_gap = 200, 28, 110
    # (count, columns, colour, head size): the head shrinks as the shot widens.
    groups = [(12, 4, VIOLET_DEEP, 0.3), (9, 3, VIOLET, 0.2), (6, 2, (150, 120, 255), 0.12), (3, 1, CORAL, 0.17)]
    total = sum(columns * (tile + gap) - gap for _, columns, _, _ in groups) + group_gap * (len(groups) - 1)
    x = (width - total) / 2
    for count, columns, colour, head in groups:
        rows = math.ceil(count / columns)
        top = (height - rows * tile - (rows - 1) * gap) / 2
        for i in range(count):
            col, row = i % columns, i // columns
            lean = (i - count / 2) * 6 if colour == CORAL else 0
            canvas.alpha_composite(
                _portrait_tile((tile, tile), colour, head, lean),
                (int(x + col * (tile + gap)), int(top + row * (tile + gap))),
            )
        x += columns * (tile + gap) - gap + group_gap
    return _finish(canvas)


def consistency_orbits() -> Image.Image:
    """Many small points on orbits, all drawn to one bright centre: one identity, many images."""
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    canvas = _gradient((width, height), (30, 22, 70), VIOLET_DEEP, angle=-20).convert("RGBA")
    centre = (width * 0.62, height * 0.52)
    _glow(canvas, centre, 360, VIOLET, 200)
    _glow(canvas, centre, 160, (255, 255, 255), 150)
    draw = ImageDraw.Draw(canvas)
    rng = random.Random(1000)
    for ring in range(1, 8):
        radius = 140 + ring * 150
        box = (centre[0] - radius, centre[1] - radius * 0.62, centre[0] + radius, centre[1] + radius * 0.62)
        draw.ellipse(box, outline=(*LILAC, 60), width=3)
        for _ in range(10 + ring * 6):
            angle = rng.uniform(0, math.tau)
            px = centre[0] + radius * math.cos(angle)
            py = centre[1] + radius * 0.62 * math.sin(angle)
            size = rng.uniform(6, 15)
            colour = rng.choice([LILAC, (255, 255, 255), SUN, MINT])
            draw.ellipse((px - size, py - size, px + size, py + size), fill=(*colour, rng.randint(150, 240)))
    draw.ellipse((centre[0] - 70, centre[1] - 70, centre[0] + 70, centre[1] + 70), fill=(255, 255, 255, 255))
    return _finish(canvas)


def photo_to_clip() -> Image.Image:
    """One still frame becoming a strip of frames along a motion path: a photo turning into a clip."""
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    canvas = _gradient((width, height), (255, 236, 226), LILAC, angle=10).convert("RGBA")
    _glow(canvas, (width * 0.85, height * 0.3), 500, VIOLET, 130)
    _glow(canvas, (width * 0.1, height * 0.2), 360, SUN, 110)
    frames = 6
    frame_w, frame_h, border = 360, 480, 18
    spacing = (width - 2 * 260) / (frames - 1)

    def centre(t: float) -> tuple[float, float]:
        return 260 + t * spacing * (frames - 1), height * 0.52 - math.sin(t * math.pi * 1.4) * 190

    trail = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    ImageDraw.Draw(trail).line([centre(i / 200) for i in range(201)], fill=(*VIOLET, 150), width=18, joint="curve")
    canvas.alpha_composite(trail)
    draw = ImageDraw.Draw(canvas)
    for i in range(frames):
        t = i / (frames - 1)
        x, y = centre(t)
        colour = _mix(CORAL, VIOLET_DEEP, t)
        box = (x - frame_w / 2, y - frame_h / 2, x + frame_w / 2, y + frame_h / 2)
        _shadow(canvas, box, 40)
        draw.rounded_rectangle(box, radius=40, fill=(255, 255, 255, 255))
        # The figure inside leans a little further each frame.
        inner = _portrait_tile((frame_w - 2 * border, frame_h - 2 * border), colour, 0.22, lean=(t - 0.5) * 120)
        canvas.alpha_composite(inner, (int(box[0] + border), int(box[1] + border)))
    return _finish(canvas)


def pipeline_steps() -> Image.Image:
    """Five steps on a line, each tile a little further along: base image, face swap, character
    sheet, trained model, clip. The last one carries a play mark."""
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    canvas = _gradient((width, height), MIST, (226, 216, 255), angle=-15).convert("RGBA")
    _glow(canvas, (width * 0.5, height * 0.5), 700, VIOLET, 70)
    steps, tile = 5, 380
    spacing = (width - 2 * 300) / (steps - 1)
    y = height / 2
    draw = ImageDraw.Draw(canvas)
    draw.line([(300, y), (width - 300, y)], fill=(*VIOLET, 160), width=16)
    for i in range(steps):
        t = i / (steps - 1)
        x = 300 + i * spacing
        colour = _mix((150, 120, 255), VIOLET_DEEP, t)
        box = (x - tile / 2, y - tile / 2, x + tile / 2, y + tile / 2)
        _shadow(canvas, box, 56)
        if i == 2:  # the character sheet: several small faces
            sheet = Image.new("RGBA", (tile, tile), (*colour, 255))
            for row in range(2):
                for col in range(2):
                    sheet.alpha_composite(
                        _portrait_tile((tile // 2 - 24, tile // 2 - 24), colour, 0.22, lean=(col - 0.5) * 20),
                        (16 + col * (tile // 2), 16 + row * (tile // 2)),
                    )
            mask = Image.new("L", sheet.size, 0)
            ImageDraw.Draw(mask).rounded_rectangle((0, 0, tile - 1, tile - 1), radius=56, fill=255)
            sheet.putalpha(mask)
            canvas.alpha_composite(sheet, (int(box[0]), int(box[1])))
        else:
            canvas.alpha_composite(_portrait_tile((tile, tile), colour, 0.2), (int(box[0]), int(box[1])))
        if i == steps - 1:
            cx, cy = x + tile * 0.28, y + tile * 0.28
            draw.ellipse((cx - 64, cy - 64, cx + 64, cy + 64), fill=(*CORAL, 255))
            draw.polygon([(cx - 20, cy - 32), (cx - 20, cy + 32), (cx + 34, cy)], fill=(255, 255, 255, 255))
    return _finish(canvas)


ARTWORK: dict[str, Callable[[], Image.Image]] = {
    "dataset-tiles": dataset_tiles,
    "consistency-orbits": consistency_orbits,
    "photo-to-clip": photo_to_clip,
    "pipeline-steps": pipeline_steps,
}


@cache
def artwork_png(name: str) -> bytes:
    """The named artwork as PNG bytes (1600×900). Drawing is deterministic, so it's done once
    per process."""
    buffer = BytesIO()
    ARTWORK[name]().save(buffer, format="PNG")
    return buffer.getvalue()
