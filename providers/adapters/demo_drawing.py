"""Drawing for the demo provider's placeholders: the font, text fitted to a width, the corner
label that says what a demo output stands for, the DEMO band placed clear of what an edit changed,
and the labelled placeholder image."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from providers.adapters import demo_render


def text_font(size: int):
    return demo_render.font(size)


def fit_lines(draw: ImageDraw.ImageDraw, text: str, font, width: int, most: int) -> list[str]:
    """``text`` wrapped at words into at most ``most`` lines no wider than ``width`` pixels; when
    it doesn't all fit, the last line ends with an ellipsis."""
    words, lines = text.split(), list[str]()
    while words and len(lines) < most:
        line = words.pop(0)
        while words and draw.textlength(f"{line} {words[0]}", font=font) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if lines and (words or draw.textlength(lines[-1], font=font) > width):
        last = lines[-1]
        while last and draw.textlength(f"{last} …", font=font) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = f"{last} …" if last else "…"
    return lines


Box = tuple[float, float, float, float]


def corner_label(image: Image.Image, text: str, *, top: bool = False) -> None:
    """A small, legible tag in the bottom (or top) left corner saying what the demo output stands
    for, so it is never mistaken for a model's."""
    size = max(12, image.width // 60)
    font = text_font(size)
    draw = ImageDraw.Draw(image)
    pad = size // 2
    text = fit_lines(draw, text, font, image.width - pad * 4, 1)[0]
    box = draw.textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    x, y = pad, pad if top else image.height - h - pad * 3
    draw.rectangle((x, y, x + w + pad * 2, y + h + pad * 2), fill=(17, 17, 27))
    draw.text((x + pad, y + pad - box[1]), text, font=font, fill=(255, 255, 255))


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def edit_band_at_bottom(size: tuple[int, int], faces: Sequence[Box], changed: Sequence[Box] = ()) -> bool:
    """Whether an edit's DEMO band goes at the bottom of the centred square rather than the top:
    the side that hides less of the face (likeness is measured on it), then less of ``changed``
    (the area the edit painted)."""
    top = demo_render.band_box(*size)
    bottom = demo_render.band_box(*size, at_bottom=True)

    def hidden(band: tuple[int, int, int, int]) -> tuple[float, float]:
        return sum(_overlap(band, box) for box in faces), sum(_overlap(band, box) for box in changed)

    return hidden(bottom) < hidden(top)


def edit_labels(
    image: Image.Image, detail: str, *, faces: Sequence[Box], changed: Sequence[Box] = (), at_bottom: bool | None = None
) -> None:
    """An edit's labels: the large "DEMO · not AI" band that a 150 px grid tile still shows, placed
    clear of the face and of the changed area, and ``detail`` (what was asked: the scale, the fill,
    the garment) in the corner label, on the side away from the band so neither hides the other."""
    if at_bottom is None:
        at_bottom = edit_band_at_bottom(image.size, faces, changed)
    label_height = max(12, image.width // 60) * 3  # corner_label's text and padding
    band_bottom = demo_render.band_box(*image.size, at_bottom=at_bottom)[3]
    corner_label(image, detail, top=band_bottom > image.height - label_height)
    demo_render.band(image, at_bottom=at_bottom)


def placeholder(width: int, height: int, *, title: str, detail: str = "") -> Image.Image:
    """A labelled placeholder: a soft gradient, 'Demo render' and what was asked for."""
    image = Image.new("RGB", (width, height))
    top, bottom = (99, 102, 241), (236, 72, 153)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient)
    draw = ImageDraw.Draw(image)
    big, small = text_font(max(24, width // 14)), text_font(max(14, width // 40))
    draw.text((width // 2, height // 2 - width // 20), title.upper(), font=big, fill="white", anchor="mm")
    draw.text(
        (width // 2, height // 2 + width // 30),
        "No AI provider configured · placeholder",
        font=small,
        fill="white",
        anchor="mm",
    )
    if detail:  # what was asked for, on up to two lines under the title, clear of the edges where
        # the Studio and library put their badges (number, likeness, menu)
        line_h = round(getattr(small, "size", 14) * 1.35)
        for index, line in enumerate(fit_lines(draw, detail, small, width * 9 // 10, 2)):
            y = height // 2 + width // 30 + line_h * (2 + index)
            draw.text((width // 2, y), line, font=small, fill="white", anchor="mm")
    return image
