"""Drawing for the demo provider's placeholders: the font, text fitted to a width, the corner
label that says what a demo output stands for, and the labelled placeholder image."""

from __future__ import annotations

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


def corner_label(image: Image.Image, text: str) -> None:
    """A small, legible tag in the corner, so a demo output is never mistaken for a model's."""
    size = max(12, image.width // 60)
    font = text_font(size)
    draw = ImageDraw.Draw(image)
    pad = size // 2
    text = fit_lines(draw, text, font, image.width - pad * 4, 1)[0]
    box = draw.textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    x, y = pad, image.height - h - pad * 3
    draw.rectangle((x, y, x + w + pad * 2, y + h + pad * 2), fill=(17, 17, 27))
    draw.text((x + pad, y + pad - box[1]), text, font=font, fill=(255, 255, 255))


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
