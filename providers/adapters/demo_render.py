"""What the demo provider draws for a text-to-image request: the recipe it was asked for, drawn.

No model runs, so the picture says what a model would have been asked to make, in a form you can
see at a glance: the environment as a simple illustrated backdrop (beach, bedroom, living room,
office, café, city street, studio), a figure in the outfit's colours at the framing asked for
(head and shoulders, half body, full body), the character's reference face composited on it
when there is one, and a card spelling out the scene, setting, outfit, framing, ratio and model.
A wide "DEMO · not AI" band sits where a centred square crop (the library's and the Studio's
grid tiles) keeps it, tall enough to read in a 300 px thumbnail.

The recipe is read from the prompt itself (the words the Studio's presets put there), so the
drawing shows what was actually sent, whoever built the prompt.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import struct
from dataclasses import dataclass

from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont, ImageOps

from providers.adapters.demo_faces import demo_face

HEAD, HALF, FULL = "head and shoulders", "half body", "full body"
# Visible figure height, in head heights, for each framing.
FRAMING_HEADS = {HEAD: 2.3, HALF: 3.8, FULL: 7.6}
BAND_TEXT = "DEMO · not AI"
BAND_COLOUR = (17, 17, 27)
BAND_SHARE = 0.12  # of the shorter side: the part a square grid tile shows
LORA_FACE_SIDE = 256

# (key, label, specific phrases, generic words): specific phrases are tried first for every
# setting, so "beach lifestyle" (a scene) doesn't make an office a beach.
ENVIRONMENTS = [
    ("beach", "Beach", ("sunny beach", "ocean in background"), ("beach", "ocean", "seaside")),
    ("bedroom", "Bedroom", ("cozy bedroom",), ("bedroom",)),
    ("living_room", "Living room", ("living room",), ("lounge",)),
    ("office", "Office", ("office setting", "modern workspace"), ("office",)),
    ("cafe", "Cafe", ("trendy cafe", "coffee shop"), ("cafe", "café", "coffee")),
    ("street", "City street", ("city street", "urban environment"), ("street", "urban", "city")),
    ("studio", "Studio", ("photography studio",), ("studio", "neutral background", "plain background")),
]
# (label, words, the framing it implies)
SCENES = [
    ("Professional portrait", ("headshot",), HEAD),
    ("Candid lifestyle", ("candid moment", "authentic lifestyle"), HALF),
    ("Fashion editorial", ("editorial",), FULL),
    ("Fitness motivation", ("fitness",), FULL),
    ("Morning vibes", ("morning light",), HALF),
    ("Night out", ("night look", "night out"), FULL),
    ("Cozy at home", ("cozy atmosphere",), HALF),
    ("Beach day", ("beach lifestyle",), FULL),
]
FRAMING_WORDS = [
    (HEAD, ("close-up", "head and shoulders", "headshot", "portrait of the face")),
    (FULL, ("full body", "full-body", "full length", "wide shot")),
    (HALF, ("half body", "half-body", "medium shot", "waist up")),
]
# Outfit words → (top, bottom) colours; the first match wins.
OUTFIT_COLOURS = [
    (("chef",), (245, 245, 240), (40, 40, 48)),
    (("black leather", "leather jacket"), (30, 30, 36), (52, 64, 96)),
    (("cocktail dress", "little black"), (28, 28, 34), (28, 28, 34)),
    (("gown",), (128, 24, 56), (128, 24, 56)),
    (("floral", "summer dress"), (244, 160, 176), (244, 160, 176)),
    (("suit",), (36, 48, 82), (36, 48, 82)),
    (("activewear", "athletic", "yoga"), (20, 150, 150), (36, 36, 44)),
    (("hoodie", "cargo"), (128, 132, 140), (92, 96, 70)),
    (("pyjamas",), (196, 176, 230), (196, 176, 230)),
    (("swimsuit", "swimwear"), (240, 110, 90), (240, 110, 90)),
    (("trench", "camel"), (196, 150, 100), (60, 60, 70)),
    (("sweater", "knit"), (236, 224, 200), (70, 80, 110)),
    (("coat", "scarf"), (70, 72, 80), (50, 50, 58)),
    (("denim", "jeans", "t-shirt", "tee"), (245, 245, 245), (60, 96, 160)),
    (("blazer",), (90, 90, 110), (190, 170, 130)),
    (("bohemian", "boho"), (214, 170, 110), (170, 110, 80)),
    (("preppy", "pleated"), (40, 90, 70), (120, 40, 50)),
]
DRESS_WORDS = ("dress", "gown", "swimsuit", "pyjamas", "cover-up")
RATIOS = {"1:1": 1.0, "9:16": 9 / 16, "16:9": 16 / 9, "2:3": 2 / 3, "3:2": 3 / 2, "4:3": 4 / 3, "3:4": 3 / 4}


@dataclass(frozen=True)
class DemoRecipe:
    scene: str
    environment: str  # a key of ENVIRONMENTS, or "" when the prompt names none
    outfit: str
    framing: str
    setting_named: bool = False  # the setting came from a Studio environment's own words

    @property
    def environment_label(self) -> str:
        return next((label for key, label, _s, _g in ENVIRONMENTS if key == self.environment), "Not named")

    @property
    def named(self) -> bool:
        """Whether the prompt asks for a Studio scene or environment: a pack image, not a bare
        portrait such as the wizard's candidates ("neutral background") or a sheet angle."""
        return bool(self.scene or self.setting_named)


def recipe_from_prompt(prompt: str) -> DemoRecipe:
    """The scene, setting, outfit and framing a prompt asks for, as far as its words say."""
    text = " ".join(prompt.lower().split())
    environment = next((key for key, _l, phrases, _g in ENVIRONMENTS if any(p in text for p in phrases)), "")
    setting_named = bool(environment)
    if not environment:
        environment = next(
            (key for key, _l, _p, words in ENVIRONMENTS if any(re.search(rf"\b{w}\b", text) for w in words)), ""
        )
    scene, framing = next(
        ((label, frame) for label, words, frame in SCENES if any(w in text for w in words)), ("", HALF)
    )
    framing = next((frame for frame, words in FRAMING_WORDS if any(w in text for w in words)), framing)
    wearing = re.search(r"\bwearing ([^,.;]+)", prompt, flags=re.IGNORECASE)
    return DemoRecipe(
        scene=scene,
        environment=environment,
        outfit=wearing.group(1).strip() if wearing else "",
        framing=framing,
        setting_named=setting_named,
    )


def ratio_label(width: int, height: int) -> str:
    """The aspect ratio's usual name ("9:16"), or the reduced fraction when it has none."""
    for label, value in RATIOS.items():
        if abs(width / height - value) < 0.02:
            return label
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType
        return ImageFont.load_default()


def render(
    width: int, height: int, *, prompt: str, model: str, face: Image.Image | None = None, seed: int = 0
) -> Image.Image:
    """The demo picture for ``prompt`` at ``width`` × ``height``: backdrop, figure, face, recipe
    card and the DEMO band."""
    recipe = recipe_from_prompt(prompt)
    image = Image.new("RGB", (width, height))
    _backdrop(image, recipe.environment)
    _figure(image, recipe, demo_face(face, seed=seed) if face is not None else None)
    _card(image, recipe, model, has_face=face is not None)
    band(image)
    return image


def lora_face(loras: list) -> Image.Image | None:
    """The face a demo "face model" remembers (``demo_safetensors``), from the first LoRA sent when
    it is one of ours; None for a real LoRA or none."""
    path = str((loras[0] or {}).get("path") or "") if loras and isinstance(loras[0], dict) else ""
    if not path.startswith("storage:"):
        return None
    try:
        with default_storage.open(path.removeprefix("storage:"), "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            if length > 1_000_000:
                return None
            metadata = json.loads(fh.read(length)).get("__metadata__") or {}
        if not (encoded := metadata.get("face_jpeg")):
            return None
        face = Image.open(io.BytesIO(base64.b64decode(encoded)))
        face.load()
    except (OSError, ValueError, struct.error):
        return None
    return face.convert("RGB")


def face_thumbnail(data: bytes) -> bytes | None:
    """A training photo as a small JPEG for a demo "face model" to keep; None if it can't be read."""
    try:
        picture = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    except (OSError, ValueError):
        return None
    picture.thumbnail((LORA_FACE_SIDE, LORA_FACE_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


# --- Backdrops -----------------------------------------------------------------------------------


def _vertical(image: Image.Image, box: tuple[int, int, int, int], top: tuple, bottom: tuple) -> None:
    left, y0, right, y1 = box
    if y1 <= y0 or right <= left:
        return
    gradient = Image.linear_gradient("L").resize((right - left, y1 - y0))
    part = Image.composite(Image.new("RGB", gradient.size, bottom), Image.new("RGB", gradient.size, top), gradient)
    image.paste(part, (left, y0))


def _backdrop(image: Image.Image, environment: str) -> None:
    w, h = image.size
    draw = ImageDraw.Draw(image)
    u = min(w, h) / 100  # one "unit": shapes scale with the picture
    if environment == "beach":
        _vertical(image, (0, 0, w, int(h * 0.55)), (120, 190, 240), (250, 214, 170))
        draw.ellipse((w * 0.72, h * 0.12, w * 0.72 + 16 * u, h * 0.12 + 16 * u), fill=(255, 200, 90))
        _vertical(image, (0, int(h * 0.55), w, int(h * 0.68)), (40, 120, 190), (70, 160, 200))
        _vertical(image, (0, int(h * 0.68), w, h), (236, 212, 160), (214, 186, 130))
    elif environment == "bedroom":
        _vertical(image, (0, 0, w, h), (236, 222, 204), (214, 196, 176))
        draw.rectangle(
            (w * 0.06, h * 0.1, w * 0.34, h * 0.45), fill=(200, 226, 246), outline=(250, 250, 250), width=int(2 * u)
        )
        draw.line((w * 0.2, h * 0.1, w * 0.2, h * 0.45), fill=(250, 250, 250), width=int(1.5 * u))
        draw.rectangle((0, h * 0.72, w, h), fill=(170, 130, 110))
        draw.rounded_rectangle((w * 0.55, h * 0.62, w * 0.98, h * 0.8), radius=4 * u, fill=(246, 242, 236))
    elif environment == "living_room":
        _vertical(image, (0, 0, w, int(h * 0.75)), (196, 210, 190), (176, 192, 170))
        draw.rectangle((0, h * 0.75, w, h), fill=(150, 110, 76))
        draw.rounded_rectangle((w * 0.02, h * 0.55, w * 0.45, h * 0.8), radius=5 * u, fill=(90, 110, 140))
        draw.line((w * 0.88, h * 0.3, w * 0.88, h * 0.78), fill=(60, 60, 60), width=int(u))
        draw.polygon(
            [(w * 0.82, h * 0.3), (w * 0.94, h * 0.3), (w * 0.91, h * 0.2), (w * 0.85, h * 0.2)], fill=(250, 226, 160)
        )
    elif environment == "office":
        _vertical(image, (0, 0, w, h), (230, 234, 240), (206, 212, 222))
        for col in range(4):
            x = w * (0.05 + col * 0.235)
            draw.rectangle(
                (x, h * 0.08, x + w * 0.2, h * 0.5), fill=(180, 210, 236), outline=(150, 156, 170), width=int(u)
            )
        draw.rectangle((0, h * 0.74, w, h * 0.78), fill=(120, 100, 80))
        draw.rectangle((w * 0.7, h * 0.6, w * 0.9, h * 0.74), fill=(40, 44, 52))
    elif environment == "cafe":
        _vertical(image, (0, 0, w, h), (120, 82, 60), (80, 54, 40))
        for col in range(3):
            x = w * (0.2 + col * 0.3)
            draw.line((x, 0, x, h * 0.16), fill=(30, 30, 30), width=int(0.6 * u) or 1)
            draw.ellipse((x - 4 * u, h * 0.16, x + 4 * u, h * 0.16 + 5 * u), fill=(255, 214, 140))
        draw.rectangle((0, h * 0.7, w, h), fill=(60, 40, 30))
        for col in range(5):
            x = w * (0.08 + col * 0.2)
            draw.rectangle((x, h * 0.64, x + 4 * u, h * 0.7), fill=(240, 236, 226))
    elif environment == "street":
        _vertical(image, (0, 0, w, h), (170, 200, 230), (220, 226, 234))
        buildings = [
            (0.0, 0.18, (120, 110, 120)),
            (0.2, 0.08, (150, 140, 130)),
            (0.45, 0.22, (110, 120, 140)),
            (0.7, 0.12, (140, 120, 110)),
        ]
        for x, top, colour in buildings:
            draw.rectangle((w * x, h * top, w * (x + 0.3), h * 0.78), fill=colour)
            for row in range(int((0.7 - top) * 10)):
                for col in range(3):
                    wx, wy = w * (x + 0.04 + col * 0.08), h * (top + 0.04 + row * 0.1)
                    draw.rectangle((wx, wy, wx + 3 * u, wy + 4 * u), fill=(230, 220, 170))
        draw.rectangle((0, h * 0.78, w, h), fill=(90, 90, 96))
    elif environment == "studio":
        _vertical(image, (0, 0, w, int(h * 0.8)), (150, 150, 160), (200, 200, 206))
        _vertical(image, (0, int(h * 0.8), w, h), (200, 200, 206), (226, 226, 230))
        draw.rectangle((w * 0.02, h * 0.1, w * 0.14, h * 0.3), fill=(250, 250, 250))
        draw.rectangle((w * 0.86, h * 0.1, w * 0.98, h * 0.3), fill=(250, 250, 250))
    else:
        _vertical(image, (0, 0, w, h), (99, 102, 241), (236, 72, 153))


# --- The figure ------------------------------------------------------------------------------------


def _outfit_colours(outfit: str) -> tuple[tuple, tuple]:
    words = outfit.lower()
    for keys, top, bottom in OUTFIT_COLOURS:
        if any(k in words for k in keys):
            return top, bottom
    tint = sum(words.encode()) % 6
    palette = [(200, 90, 90), (90, 140, 200), (110, 170, 110), (200, 160, 80), (150, 100, 180), (90, 90, 100)]
    return palette[tint], (60, 64, 80)


def _figure(image: Image.Image, recipe: DemoRecipe, face: Image.Image | None) -> None:
    w, h = image.size
    heads = FRAMING_HEADS[recipe.framing]
    # The figure stands below the DEMO band, so the band never hides the face.
    room = h - band_box(w, h)[3] - h * 0.03 - (h * 0.03 if recipe.framing == FULL else 0)
    head_h = min(room / heads, w * 0.34 / 0.8)
    head_w = head_h * 0.8
    cx = w / 2
    top = h - heads * head_h - (h * 0.03 if recipe.framing == FULL else 0)
    draw = ImageDraw.Draw(image)
    top_colour, bottom_colour = _outfit_colours(recipe.outfit)
    skin = (224, 188, 160)
    neck_y = top + head_h * 0.95
    shoulder_y = top + head_h * 1.2
    shoulder = head_h * 1.05
    hip_y = top + head_h * 3.6
    foot_y = top + head_h * 7.5
    dress = any(word in recipe.outfit.lower() for word in DRESS_WORDS)
    draw.rectangle((cx - head_w * 0.18, neck_y, cx + head_w * 0.18, shoulder_y + head_h * 0.1), fill=skin)
    # Arms, then the torso over them.
    arm = head_h * 0.32
    for side in (-1, 1):
        x = cx + side * (shoulder - arm * 0.5)
        draw.rounded_rectangle(
            (min(x, x + side * arm * 0.6), shoulder_y, max(x, x + side * arm * 0.6) + arm * 0.4, top + head_h * 3.9),
            radius=arm / 2,
            fill=top_colour,
        )
    waist = head_h * 0.7
    draw.polygon(
        [(cx - shoulder, shoulder_y), (cx + shoulder, shoulder_y), (cx + waist, hip_y), (cx - waist, hip_y)],
        fill=top_colour,
    )
    if dress:
        hem = top + head_h * (6.2 if "gown" in recipe.outfit.lower() else 5.2)
        draw.polygon(
            [(cx - waist, hip_y), (cx + waist, hip_y), (cx + head_h * 1.3, hem), (cx - head_h * 1.3, hem)],
            fill=bottom_colour,
        )
        for side in (-1, 1):
            draw.rectangle(
                (cx + side * head_h * 0.35 - head_h * 0.12, hem, cx + side * head_h * 0.35 + head_h * 0.12, foot_y),
                fill=skin,
            )
    else:
        for side in (-1, 1):
            x0 = cx + side * head_h * 0.05
            x1 = cx + side * waist
            draw.polygon(
                [(x0, hip_y), (x1, hip_y), (cx + side * head_h * 0.6, foot_y), (cx + side * head_h * 0.15, foot_y)],
                fill=bottom_colour,
            )
    _head(image, (cx - head_w / 2, top, cx + head_w / 2, top + head_h), face)


def _head(image: Image.Image, box: tuple[float, float, float, float], face: Image.Image | None) -> None:
    left, top, right, bottom = (round(v) for v in box)
    size = (max(1, right - left), max(1, bottom - top))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    if face is not None:
        picture = ImageOps.fit(face.convert("RGB"), size, Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    else:  # no reference face was sent: a plain head, and the card says so
        picture = Image.new("RGB", size, (224, 188, 160))
    image.paste(picture, (left, top), mask)
    ImageDraw.Draw(image).ellipse((left, top, right, bottom), outline=(255, 255, 255), width=max(2, size[0] // 40))


# --- Text ----------------------------------------------------------------------------------------------


def wrap(
    draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float
) -> list[str]:
    """``text`` wrapped at words into lines no wider than ``width``; a word longer than a line
    is broken, so nothing is ever cut off."""
    lines: list[str] = []
    for word in text.split():
        while draw.textlength(word, font=face) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and draw.textlength(word[:cut], font=face) > width:
                cut -= 1
            if lines and not lines[-1]:
                lines.pop()
            lines.append(word[:cut])
            word = word[cut:]
        if lines and draw.textlength(f"{lines[-1]} {word}", font=face) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def card_lines(recipe: DemoRecipe, model: str, size: tuple[int, int], has_face: bool) -> list[str]:
    width, height = size
    return [
        f"Scene: {recipe.scene or 'not named'}",
        f"Setting: {recipe.environment_label}",
        f"Outfit: {recipe.outfit or 'not named'}",
        f"Framing: {recipe.framing}",
        f"Ratio: {ratio_label(width, height)} · {width} x {height} px",
        f"Model asked: {model}" + ("" if has_face else " · no face image sent"),
    ]


def _card(image: Image.Image, recipe: DemoRecipe, model: str, *, has_face: bool) -> None:
    """The recipe in words, on a dark card along the bottom, in a font small enough that every
    line fits: nothing is cut off."""
    w, h = image.size
    lines = card_lines(recipe, model, image.size, has_face=has_face)
    draw = ImageDraw.Draw(image)
    size = max(10, round(min(w, h) / 26))
    while True:
        face = font(size)
        pad = size * 0.6
        wrapped = [part for line in lines for part in wrap(draw, line, face, w - pad * 4)]
        line_h = size * 1.3
        if len(wrapped) * line_h + pad * 2 <= h * 0.34 or size <= 8:
            break
        size -= 1
    card_h = len(wrapped) * line_h + pad * 2
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rounded_rectangle(
        (pad, h - card_h - pad, w - pad, h - pad), radius=pad, fill=(17, 17, 27, 215)
    )
    image.paste(Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"))
    draw = ImageDraw.Draw(image)
    y = h - card_h
    for line in wrapped:
        draw.text((pad * 2, y), line, font=face, fill=(255, 255, 255))
        y += line_h


def band_box(width: int, height: int) -> tuple[int, int, int, int]:
    """Where the DEMO band goes: full width, at the top of the picture's centred square, which a
    square grid tile (``object-fit: cover``) shows."""
    band_h = round(min(width, height) * BAND_SHARE)
    top = max(0, (height - width) // 2)
    return 0, top, width, top + band_h


def band(image: Image.Image) -> None:
    """A solid band across the picture with "DEMO · not AI" in large letters."""
    left, top, right, bottom = band_box(*image.size)
    draw = ImageDraw.Draw(image)
    draw.rectangle((left, top, right, bottom), fill=BAND_COLOUR)
    size = round((bottom - top) * 0.68)
    face = font(size)
    while size > 8 and draw.textlength(BAND_TEXT, font=face) > (right - left) * 0.92:
        size -= 2
        face = font(size)
    draw.text(((left + right) / 2, (top + bottom) / 2), BAND_TEXT, font=face, fill=(255, 255, 255), anchor="mm")
