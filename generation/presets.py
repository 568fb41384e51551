"""The Studio's choices as data (PRODUCT.md §3; seed 003 F2–F5): scenes, environments, aspect
ratios with their sizes, quality modes and pack sizes. The texts that go into prompts are seed
003's; labels and descriptions are what the Studio shows. Outfits are the characters' vocabulary
(``characters.attributes.OUTFITS``), so the wizard and the Studio offer the same twenty.
"""

from __future__ import annotations

from dataclasses import dataclass

from characters import attributes


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    description: str
    prompt: str


SCENES = [
    Preset(
        "professional_portrait",
        "Professional portrait",
        "Headshot style, confident, eye contact",
        "professional headshot style, confident pose, eye contact",
    ),
    Preset(
        "candid_lifestyle",
        "Candid lifestyle",
        "A natural, unposed moment",
        "candid moment, natural pose, authentic lifestyle shot",
    ),
    Preset(
        "fashion_editorial",
        "Fashion editorial",
        "Dramatic, magazine quality",
        "fashion editorial style, dramatic pose, magazine quality",
    ),
    Preset(
        "fitness_motivation",
        "Fitness motivation",
        "Athletic and energetic",
        "fitness pose, athletic, energetic, motivational",
    ),
    Preset(
        "morning_vibes",
        "Morning vibes",
        "Relaxed and fresh, in natural light",
        "morning light, relaxed pose, fresh and natural",
    ),
    Preset(
        "night_out",
        "Night out",
        "Glamorous and sophisticated",
        "glamorous night look, sophisticated, elegant pose",
    ),
    Preset(
        "cozy_home",
        "Cozy at home",
        "Comfortable and intimate",
        "comfortable relaxed pose, cozy atmosphere, intimate",
    ),
    Preset("beach_day", "Beach day", "Summer vibes, relaxed", "beach lifestyle, relaxed pose, summer vibes"),
]
ENVIRONMENTS = [
    Preset(
        "beach", "Beach", "Ocean behind, golden hour", "on a sunny beach, ocean in background, golden hour lighting"
    ),
    Preset(
        "home_bedroom",
        "Bedroom",
        "Cozy, soft natural light",
        "in a cozy bedroom, soft natural lighting, comfortable atmosphere",
    ),
    Preset(
        "home_living_room",
        "Living room",
        "Modern decor, warm light",
        "in a stylish living room, modern decor, warm lighting",
    ),
    Preset("office", "Office", "Professional and clean", "in a professional office setting, clean modern workspace"),
    Preset("cafe", "Café", "Trendy, warm interior", "in a trendy cafe, coffee shop ambiance, warm interior"),
    Preset("urban_street", "Urban street", "City, street style", "on a city street, urban environment, street style"),
    Preset(
        "studio",
        "Studio",
        "Plain background, studio light",
        "in a photography studio, clean background, professional lighting",
    ),
]
SCENE_KEYS = [p.key for p in SCENES]
ENVIRONMENT_KEYS = [p.key for p in ENVIRONMENTS]
SCENES_BY_KEY = {p.key: p for p in SCENES}
ENVIRONMENTS_BY_KEY = {p.key: p for p in ENVIRONMENTS}
DEFAULT_SCENE = "professional_portrait"
DEFAULT_ENVIRONMENT = "studio"

# Outfit choices: "" keeps the character's default; an outfit key picks one of the twenty; CLOTHING
# means "use the uploaded clothing image" (a virtual try-on after each image is generated).
KEEP_OUTFIT = ""
CLOTHING = "clothing"
OUTFIT_KEYS = [value for value, _label, _words in attributes.OUTFITS]


@dataclass(frozen=True)
class Aspect:
    key: str
    label: str
    hint: str
    draft: tuple[int, int]  # at most 1 MP (1024²): fast and cheap
    hq: tuple[int, int]  # about 2 MP


# Sides are multiples of 16, as the diffusion models want them.
ASPECTS = [
    Aspect("1:1", "1:1", "Square · feed post", (1024, 1024), (1408, 1408)),
    Aspect("9:16", "9:16", "Portrait · stories, reels", (768, 1360), (1088, 1920)),
    Aspect("16:9", "16:9", "Landscape · YouTube, web", (1360, 768), (1920, 1088)),
    Aspect("2:3", "2:3", "Portrait · classic photo", (832, 1248), (1152, 1728)),
    Aspect("4:3", "4:3", "Landscape · classic photo", (1152, 864), (1536, 1152)),
]
ASPECTS_BY_KEY = {a.key: a for a in ASPECTS}
DEFAULT_ASPECT = "9:16"


@dataclass(frozen=True)
class Quality:
    key: str
    label: str
    steps: int
    operation: str  # the price in billing.prices
    hint: str


QUALITIES = [
    Quality("draft", "Draft", 20, "image_draft", "Fast, up to 1 MP: for exploring"),
    Quality("hq", "HQ", 40, "image_hq", "About 2 MP, more detail: for publishing"),
]
QUALITIES_BY_KEY = {q.key: q for q in QUALITIES}
DEFAULT_QUALITY = "draft"

COUNTS = (1, 5, 10)
DEFAULT_COUNT = 5
MAX_SEED = 2**32 - 1


def size(aspect: str, quality: str) -> tuple[int, int]:
    """(width, height) for an aspect ratio and quality mode."""
    entry = ASPECTS_BY_KEY[aspect]
    return entry.draft if quality == "draft" else entry.hq


def outfit_label(outfit: str) -> str:
    if outfit == KEEP_OUTFIT:
        return "Character's default"
    if outfit == CLOTHING:
        return "Uploaded clothing"
    return attributes.label("default_outfit", outfit)
