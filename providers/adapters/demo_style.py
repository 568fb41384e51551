"""The demo provider's answer to a style-recipe request (``styles``): a recipe derived locally from
the pixels, never a model's description. It measures what arithmetic can: the orientation, the
brightness, contrast and warmth of the light, and the framing from where dlib finds the largest
face. It can't see a pose, clothes or a setting, so those fields stay empty for the person to fill
in, and every derived phrase is plain measurement. The recipe page labels it a demo recipe.
"""

from __future__ import annotations

import json

from PIL import Image, ImageStat

from providers.adapters.base import ProviderError

# What styles.recipe names its response format; the request's sign that a recipe is wanted.
SCHEMA_NAME = "style_recipe"


def wants_recipe(arguments: dict) -> bool:
    response_format = arguments.get("response_format") or {}
    return (response_format.get("json_schema") or {}).get("name") == SCHEMA_NAME


def recipe(arguments: dict) -> dict:
    """The chat answer (``{"text": <the recipe as JSON>, ...}``) for a recipe request showing one image."""
    from providers.adapters.demo import _face_box, _open_input

    urls = [
        part["image_url"]["url"]
        for message in arguments.get("messages") or []
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "image_url"
    ]
    if not urls:
        raise ProviderError("The demo provider needs an image to derive a style from.")
    image = _open_input(urls[0])
    words = derive(image, _face_box(image))
    return {"text": json.dumps(words), "usage": {}, "model": "demo"}


def derive(image: Image.Image, face: tuple[float, float, float, float] | None) -> dict[str, str]:
    """The recipe's fields from ``image`` and the box of its largest face (or None)."""
    width, height = image.size
    light = _light(image)
    return {
        "pose": "",
        "outfit": "",
        "lighting": light["lighting"],
        "camera": _shot(face, height) if face else "",
        "composition": ", ".join(p for p in (_orientation(width, height), _placement(face, width, height)) if p),
        "background": "",
        "mood": light["mood"],
    }


def _orientation(width: int, height: int) -> str:
    ratio = width / height
    if ratio < 0.9:
        return "vertical portrait orientation"
    if ratio > 1.1:
        return "horizontal landscape orientation"
    return "square format"


def _light(image: Image.Image) -> dict[str, str]:
    grey = ImageStat.Stat(image.convert("L"))
    brightness, contrast = grey.mean[0], grey.stddev[0]
    red, _green, blue = ImageStat.Stat(image.convert("RGB")).mean
    key = (
        "bright high-key light"
        if brightness > 165
        else "dim low-key light"
        if brightness < 85
        else "even mid-tone light"
    )
    punch = "strong contrast" if contrast > 70 else "soft low contrast" if contrast < 40 else "moderate contrast"
    warmth = "warm tones" if red - blue > 15 else "cool tones" if blue - red > 15 else "neutral tones"
    airy = "airy" if brightness > 165 else "moody" if brightness < 85 else "calm"
    return {"lighting": f"{key}, {punch}, {warmth}", "mood": f"{airy}, {warmth.split()[0]}"}


def _shot(face: tuple[float, float, float, float], height: int) -> str:
    share = (face[3] - face[1]) / height
    if share > 0.3:
        return "close-up shot"
    if share > 0.14:
        return "head-and-shoulders medium close-up"
    if share > 0.06:
        return "medium shot, waist up"
    return "wide full-body shot"


def _placement(face: tuple[float, float, float, float] | None, width: int, height: int) -> str:
    if face is None:
        return "no face found to frame on"
    x = (face[0] + face[2]) / 2 / width
    y = (face[1] + face[3]) / 2 / height
    across = "left third" if x < 0.38 else "right third" if x > 0.62 else "centre"
    down = "upper third" if y < 0.38 else "lower third" if y > 0.62 else "middle"
    if across == "centre" and down == "middle":
        return "face centred in the frame"
    if across == "centre":
        return f"face centred in the {down}"
    return f"face in the {across}, {down}" if down != "middle" else f"face in the {across}"
