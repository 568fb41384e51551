"""Colour grading's maths: the ``.cube`` format (read with errors that name the line, and
written), the preset looks the project ships, the sliders, and applying the grade to an image.

A grade is ``look(adjust(rgb))``: the sliders (exposure and white balance in linear light, then
contrast and saturation on the encoded values) and then the look (a preset or an uploaded 3D LUT,
sampled with trilinear interpolation). Both are baked into one 33³ table, which Pillow's
``Color3DLUT`` applies to images (trilinear, in C) and ffmpeg's ``lut3d`` to videos (written as a
``.cube``; tetrahedral). ``static/tools/grade.js`` runs the same formulas on the preview canvas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from core.exceptions import DomainError

GRID = 33  # the baked table's size: what ffmpeg and Resolve use by default
MAX_CUBE_BYTES = 8 * 1024 * 1024
MAX_CUBE_SIZE = 65  # Pillow's Color3DLUT limit; 65³ is the largest LUT in common use
PRESETS_DIR = Path(__file__).resolve().parent / "static" / "tools" / "luts"


class CubeError(DomainError):
    """A ``.cube`` file that can't be used; the message names the line."""


@dataclass(frozen=True)
class Cube:
    """A 3D LUT: ``table`` is (size, size, size, 3) indexed [b, g, r] (the file's order: red fastest)."""

    size: int
    table: np.ndarray
    title: str = ""
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)


def parse_cube(text: str) -> Cube:
    """Read a ``.cube`` (Adobe/Resolve 3D LUT). Raises ``CubeError`` naming the line at fault."""
    size = 0
    title = ""
    dmin, dmax = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    rows: list[tuple[float, float, float]] = []
    last_line = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        last_line = number
        word = line.split()[0].upper()
        if word == "TITLE":
            title = line[5:].strip().strip('"')[:100]
        elif word == "LUT_1D_SIZE":
            raise CubeError(f"Line {number}: this is a 1D LUT (LUT_1D_SIZE). Only 3D LUTs (LUT_3D_SIZE) can grade.")
        elif word == "LUT_3D_SIZE":
            if rows:
                raise CubeError(f"Line {number}: LUT_3D_SIZE comes after the first colour row; it must come before.")
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                raise CubeError(f"Line {number}: LUT_3D_SIZE needs one whole number, found “{raw.strip()[:60]}”.")
            size = int(parts[1])
            if not 2 <= size <= MAX_CUBE_SIZE:
                raise CubeError(f"Line {number}: LUT_3D_SIZE {size} is outside 2–{MAX_CUBE_SIZE}.")
        elif word in ("DOMAIN_MIN", "DOMAIN_MAX"):
            values = _three(line.split()[1:], number, raw)
            if word == "DOMAIN_MIN":
                dmin = values
            else:
                dmax = values
        elif word[0].isalpha() and not _is_number(word):
            continue  # other keywords (LUT_IN_VIDEO_RANGE …) don't change the numbers
        else:
            if not size:
                raise CubeError(f"Line {number}: a colour row before LUT_3D_SIZE, so the LUT's size isn't known.")
            rows.append(_three(line.split(), number, raw))
            if len(rows) > size**3:
                raise CubeError(f"Line {number}: more rows than LUT_3D_SIZE {size} allows ({size**3:,}).")
    if not size:
        raise CubeError("The file has no LUT_3D_SIZE line, so it isn't a 3D LUT .cube file.")
    if len(rows) < size**3:
        raise CubeError(
            f"Line {last_line}: the file ends after {len(rows):,} colour rows; LUT_3D_SIZE {size} needs {size**3:,}."
        )
    if any(hi <= lo for lo, hi in zip(dmin, dmax, strict=True)):
        raise CubeError("DOMAIN_MAX must be above DOMAIN_MIN for each channel.")
    table = np.asarray(rows, dtype=np.float64).reshape(size, size, size, 3)
    return Cube(size=size, table=table, title=title, domain_min=dmin, domain_max=dmax)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _three(parts: list[str], number: int, raw: str) -> tuple[float, float, float]:
    if len(parts) != 3:
        raise CubeError(f"Line {number}: expected three numbers (red green blue), found “{raw.strip()[:60]}”.")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise CubeError(f"Line {number}: “{raw.strip()[:60]}” isn't three numbers.") from None
    if not all(math.isfinite(v) for v in values):
        raise CubeError(f"Line {number}: “{raw.strip()[:60]}” isn't three finite numbers.")
    return values  # type: ignore[return-value]


def write_cube(table: np.ndarray, title: str) -> str:
    """``table`` (n, n, n, 3) indexed [b, g, r] as ``.cube`` text."""
    size = table.shape[0]
    lines = [f'TITLE "{title}"', f"LUT_3D_SIZE {size}", "DOMAIN_MIN 0.0 0.0 0.0", "DOMAIN_MAX 1.0 1.0 1.0"]
    lines += [f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in table.reshape(-1, 3)]
    return "\n".join(lines) + "\n"


def identity_grid(size: int = GRID) -> np.ndarray:
    """(size, size, size, 3) of the grid's own colours, indexed [b, g, r]."""
    steps = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(steps, steps, steps, indexing="ij")
    return np.stack([r, g, b], axis=-1)


def sample(cube: Cube, rgb: np.ndarray) -> np.ndarray:
    """``cube`` at the colours ``rgb`` (..., 3), interpolated trilinearly."""
    lo = np.asarray(cube.domain_min)
    hi = np.asarray(cube.domain_max)
    n = cube.size
    pos = np.clip((rgb - lo) / (hi - lo), 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), n - 2)
    f = pos - i0
    r0, g0, b0 = i0[..., 0], i0[..., 1], i0[..., 2]
    fr, fg, fb = f[..., 0:1], f[..., 1:2], f[..., 2:3]
    t = cube.table

    def at(db: int, dg: int, dr: int) -> np.ndarray:
        return t[b0 + db, g0 + dg, r0 + dr]

    c00 = at(0, 0, 0) * (1 - fr) + at(0, 0, 1) * fr
    c01 = at(0, 1, 0) * (1 - fr) + at(0, 1, 1) * fr
    c10 = at(1, 0, 0) * (1 - fr) + at(1, 0, 1) * fr
    c11 = at(1, 1, 0) * (1 - fr) + at(1, 1, 1) * fr
    c0 = c00 * (1 - fg) + c01 * fg
    c1 = c10 * (1 - fg) + c11 * fg
    return c0 * (1 - fb) + c1 * fb


# --- The sliders -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustments:
    """Exposure in stops (−3…3); the rest −100…100 (0 changes nothing)."""

    exposure: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    temperature: float = 0.0
    tint: float = 0.0

    LIMITS = {"exposure": 3.0, "contrast": 100.0, "saturation": 100.0, "temperature": 100.0, "tint": 100.0}

    @classmethod
    def from_params(cls, params: dict) -> Adjustments:
        values = {}
        for name, limit in cls.LIMITS.items():
            value = float(params.get(name) or 0)
            if not math.isfinite(value) or abs(value) > limit:
                raise DomainError(f"{name.capitalize()} must be between −{limit:g} and {limit:g}.", field=name)
            values[name] = value
        return cls(**values)

    def as_params(self) -> dict:
        return {name: getattr(self, name) for name in self.LIMITS}

    @property
    def neutral(self) -> bool:
        return not any(self.as_params().values())


def _to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0:1] * 0.2126 + rgb[..., 1:2] * 0.7152 + rgb[..., 2:3] * 0.0722


def adjust(rgb: np.ndarray, a: Adjustments) -> np.ndarray:
    """The sliders on colours ``rgb`` (..., 3) in 0…1 (sRGB-encoded). Mirrored in grade.js."""
    lin = _to_linear(np.clip(rgb, 0.0, 1.0)) * (2.0**a.exposure)
    warm, tint = a.temperature / 100.0, a.tint / 100.0
    lin = lin * np.array([1 + 0.25 * warm, 1 - 0.25 * tint, 1 - 0.25 * warm])
    out = _to_srgb(lin)
    out = (out - 0.5) * (1 + a.contrast / 100.0) + 0.5
    luma = _luma(out)
    out = luma + (out - luma) * (1 + a.saturation / 100.0)
    return np.clip(out, 0.0, 1.0)


# --- The preset looks --------------------------------------------------------------------------------


def _smooth(x: np.ndarray, amount: float) -> np.ndarray:
    """An S-curve around mid-grey: ``amount`` 0 is none, 1 is smoothstep."""
    return x + amount * (x * x * (3 - 2 * x) - x)


def _mix(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    return a + (b - a) * t


def _cinematic(c: np.ndarray) -> np.ndarray:
    y = _luma(c)
    c = _mix(y, c, 0.88)
    c = _smooth(c, 0.45)
    c = c + (1 - y) * np.array([-0.03, 0.01, 0.04]) + y * np.array([0.04, 0.01, -0.03])
    return 0.03 + c * 0.95


def _vintage(c: np.ndarray) -> np.ndarray:
    y = _luma(c)
    c = _mix(y, c, 0.7)
    c = c * np.array([1.05, 1.0, 0.86]) + np.array([0.02, 0.015, 0.0])
    return 0.08 + np.clip(c, 0, 1) * 0.84


def _moody(c: np.ndarray) -> np.ndarray:
    y = _luma(c)
    c = _mix(y, c, 0.65) ** 1.18
    c = _smooth(c, 0.35)
    return c + (1 - y) * np.array([-0.01, 0.0, 0.035])


def _teal_orange(c: np.ndarray) -> np.ndarray:
    y = _luma(c)
    teal = np.array([0.0, 0.5, 0.55])
    orange = np.array([1.0, 0.55, 0.2])
    toned = _mix(teal * y * 1.6, orange * y * 1.6, np.clip(y * 1.4 - 0.2, 0, 1))
    c = _mix(c, np.clip(toned, 0, 1), 0.35)
    c = _mix(_luma(c), c, 1.15)
    return _smooth(c, 0.3)


def _bleach_bypass(c: np.ndarray) -> np.ndarray:
    y = np.repeat(_luma(c), 3, axis=-1)
    overlay = np.where(y < 0.5, 2 * c * y, 1 - 2 * (1 - c) * (1 - y))
    return _smooth(_mix(overlay, y, 0.45), 0.3)


def _black_and_white(c: np.ndarray) -> np.ndarray:
    y = c[..., 0:1] * 0.35 + c[..., 1:2] * 0.55 + c[..., 2:3] * 0.10  # a light red filter
    return np.repeat(_smooth(y, 0.4), 3, axis=-1)


@dataclass(frozen=True)
class Preset:
    slug: str
    name: str
    words: str
    look: Callable[[np.ndarray], np.ndarray] = field(repr=False)

    @property
    def filename(self) -> str:
        return f"{self.slug}.cube"


PRESETS: dict[str, Preset] = {
    p.slug: p
    for p in [
        Preset("cinematic", "Cinematic", "Soft S-curve, lifted blacks, cool shadows and warm highlights.", _cinematic),
        Preset("vintage", "Vintage", "Faded blacks, warm cast, muted colour.", _vintage),
        Preset("moody", "Moody", "Darker and desaturated, with blue in the shadows.", _moody),
        Preset("teal-orange", "Teal & Orange", "Teal shadows, orange skin tones and highlights.", _teal_orange),
        Preset("bleach-bypass", "Bleach bypass", "Silver-retention look: contrasty, low saturation.", _bleach_bypass),
        Preset("black-and-white", "B&W", "Black and white through a light red filter.", _black_and_white),
    ]
}


def preset_table(slug: str, size: int = GRID) -> np.ndarray:
    return np.clip(PRESETS[slug].look(identity_grid(size)), 0.0, 1.0)


def preset_cube(slug: str) -> Cube:
    """A shipped preset, read from its ``.cube`` file (what the browser previews with, too)."""
    return parse_cube((PRESETS_DIR / PRESETS[slug].filename).read_text())


def write_presets(folder: Path = PRESETS_DIR) -> list[Path]:
    """(Re)generate the shipped ``.cube`` files (``manage.py tools_luts``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for preset in PRESETS.values():
        path = folder / preset.filename
        path.write_text(write_cube(preset_table(preset.slug), f"Personae {preset.name}"))
        written.append(path)
    return written


# --- Applying ----------------------------------------------------------------------------------------


def baked(look: Cube | None, adjustments: Adjustments, size: int = GRID) -> np.ndarray:
    """One table for the whole grade: the sliders, then the look."""
    table = adjust(identity_grid(size), adjustments)
    if look is not None:
        table = sample(look, table)
    return np.clip(table, 0.0, 1.0)


def grade_image(image: Image.Image, table: np.ndarray) -> Image.Image:
    """``image`` through the baked ``table`` (trilinear). Alpha, if any, is kept as it was."""
    size = table.shape[0]
    lut = ImageFilter.Color3DLUT(size, table.reshape(-1).tolist(), channels=3)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        graded = rgba.convert("RGB").filter(lut)
        graded.putalpha(rgba.getchannel("A"))
        return graded
    return image.convert("RGB").filter(lut)
