"""A style's palette, computed here from the image's pixels (no model involved): Pillow's
median-cut quantiser on a small copy, the swatches ordered by how much of the image they cover,
each with the nearest plain colour name, which is what a prompt can use."""

from __future__ import annotations

from typing import BinaryIO, cast

from PIL import Image, ImageOps

SWATCHES = 6
SAMPLE_SIDE = 160
MIN_SHARE = 0.01  # a colour on less than 1 % of the image isn't part of its look

# Plain names an image model understands, with a representative sRGB value each.
NAMES = {
    "black": (20, 20, 20),
    "charcoal": (60, 60, 64),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "white": (245, 245, 245),
    "cream": (240, 228, 200),
    "beige": (210, 190, 160),
    "tan": (180, 140, 100),
    "brown": (110, 70, 40),
    "chocolate": (70, 40, 25),
    "red": (200, 30, 30),
    "burgundy": (120, 20, 40),
    "pink": (240, 150, 180),
    "blush": (230, 190, 185),
    "coral": (250, 120, 90),
    "orange": (240, 140, 30),
    "rust": (170, 80, 40),
    "gold": (210, 170, 60),
    "mustard": (200, 160, 40),
    "yellow": (245, 220, 50),
    "olive": (120, 120, 50),
    "sage": (160, 175, 140),
    "green": (50, 150, 60),
    "forest green": (30, 80, 40),
    "teal": (30, 120, 120),
    "turquoise": (60, 200, 200),
    "sky blue": (130, 190, 235),
    "blue": (40, 90, 200),
    "navy": (25, 35, 80),
    "lavender": (190, 170, 220),
    "purple": (110, 50, 140),
    "plum": (90, 40, 70),
}


def colour_name(rgb: tuple[int, int, int]) -> str:
    """The nearest plain name (by a perceptually weighted RGB distance)."""
    r, g, b = rgb

    def distance(item: tuple[str, tuple[int, int, int]]) -> float:
        nr, ng, nb = item[1]
        mean_r = (r + nr) / 2
        return (2 + mean_r / 256) * (r - nr) ** 2 + 4 * (g - ng) ** 2 + (2 + (255 - mean_r) / 256) * (b - nb) ** 2

    return min(NAMES.items(), key=distance)[0]


def palette_from(image: Image.Image, swatches: int = SWATCHES) -> list[dict]:
    """Up to ``swatches`` colours of ``image``, most of the image first: ``{"hex", "name", "share"}``."""
    small = ImageOps.exif_transpose(image).convert("RGB")
    small.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE))
    quantised = small.quantize(colors=swatches, method=Image.Quantize.MEDIANCUT)
    colours = quantised.getpalette() or []
    counts = sorted(quantised.getcolors(maxcolors=256) or [], reverse=True)
    total = sum(count for count, _entry in counts) or 1
    found = []
    for count, entry in counts:
        index = cast(int, entry)  # a palette index: the image is in mode "P"
        share = count / total
        if share < MIN_SHARE:
            continue
        rgb = (colours[index * 3], colours[index * 3 + 1], colours[index * 3 + 2])
        found.append({"hex": "#{:02x}{:02x}{:02x}".format(*rgb), "name": colour_name(rgb), "share": round(share, 3)})
    return found


def palette_of_file(fh: BinaryIO) -> list[dict]:
    """The palette of an image file. Raises ``OSError`` (Pillow's ``UnidentifiedImageError`` too)."""
    with Image.open(fh) as image:
        image.load()
        return palette_from(image)


def palette_words(names: list[str]) -> str:
    """ "colour palette of navy, cream and rust" (names repeated by neighbouring swatches once)."""
    unique = list(dict.fromkeys(names))
    if not unique:
        return ""
    listed = unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} and {unique[-1]}"
    return f"colour palette of {listed}"
