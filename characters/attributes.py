"""A character's appearance vocabulary (PRODUCT.md §2): the wizard's choices, the forms' choices and
the words the prompt builder uses. One module, so the wizard, the Studio (#6) and the forms agree.

Each choice is ``(value, label, prompt words)``. Values are stored; labels are shown; prompt words go
into prompts. Ages are numbers, 18 or older, always (enforced here, in forms and by a DB check).
"""

from __future__ import annotations

MIN_AGE = 18
MAX_AGE = 80

STYLES = [
    ("photo", "Photo-realistic", "Photo"),
    ("anime", "Anime", "Anime illustration"),
]
GENDERS = [
    ("female", "Woman", "woman"),
    ("male", "Man", "man"),
    ("nonbinary", "Non-binary person", "androgynous person"),
]
ETHNICITIES = [
    ("african", "African", "African"),
    ("east_asian", "East Asian", "East Asian"),
    ("south_asian", "South Asian", "South Asian"),
    ("southeast_asian", "Southeast Asian", "Southeast Asian"),
    ("middle_eastern", "Middle Eastern", "Middle Eastern"),
    ("hispanic", "Hispanic / Latino", "Latina"),
    ("white", "White / European", "European"),
    ("mixed", "Mixed", "mixed-heritage"),
]
HAIR_COLOURS = [
    ("black", "Black", "black"),
    ("dark_brown", "Dark brown", "dark brown"),
    ("brown", "Brown", "brown"),
    ("auburn", "Auburn", "auburn"),
    ("red", "Red", "red"),
    ("blonde", "Blonde", "blonde"),
    ("platinum", "Platinum", "platinum blonde"),
    ("grey", "Grey", "silver grey"),
    ("pink", "Pink", "pastel pink"),
    ("blue", "Blue", "blue"),
]
HAIR_STYLES = [
    ("long_straight", "Long, straight", "long straight"),
    ("long_wavy", "Long, wavy", "long wavy"),
    ("curly", "Curly", "curly"),
    ("bob", "Bob", "bob-cut"),
    ("pixie", "Pixie", "pixie-cut"),
    ("ponytail", "Ponytail", "ponytail"),
    ("braids", "Braids", "braided"),
    ("bun", "Bun", "bun"),
    ("short", "Short", "short"),
    ("buzz", "Buzz cut", "buzz-cut"),
]
EYE_COLOURS = [
    ("brown", "Brown", "brown"),
    ("hazel", "Hazel", "hazel"),
    ("green", "Green", "green"),
    ("blue", "Blue", "blue"),
    ("grey", "Grey", "grey"),
    ("amber", "Amber", "amber"),
]
BODY_TYPES = [
    ("slim", "Slim", "slim"),
    ("athletic", "Athletic", "athletic"),
    ("average", "Average", "average"),
    ("curvy", "Curvy", "curvy"),
    ("muscular", "Muscular", "muscular"),
    ("plus", "Plus-size", "plus-size"),
]
# The 20 outfits: the wizard's default outfit and the Studio's per-pack outfit picker (#6).
OUTFITS = [
    ("casual_jeans", "Jeans and white tee", "a white t-shirt and blue jeans"),
    ("summer_dress", "Summer dress", "a light floral summer dress"),
    ("business_suit", "Business suit", "a tailored business suit"),
    ("blazer_smart", "Smart casual blazer", "a blazer over a simple top with chinos"),
    ("activewear", "Activewear", "fitted athletic activewear"),
    ("yoga_set", "Yoga set", "a matching yoga set"),
    ("evening_gown", "Evening gown", "an elegant evening gown"),
    ("cocktail_dress", "Cocktail dress", "a little black cocktail dress"),
    ("streetwear", "Streetwear", "an oversized hoodie, cargo pants and sneakers"),
    ("leather_jacket", "Leather jacket", "a black leather jacket over a band tee"),
    ("knit_sweater", "Cosy knit sweater", "a chunky knit sweater"),
    ("pyjamas", "Pyjamas", "comfortable silk pyjamas"),
    ("swimwear", "Swimwear", "a stylish one-piece swimsuit"),
    ("beach_cover", "Beach cover-up", "a linen beach cover-up and sun hat"),
    ("trench_coat", "Trench coat", "a camel trench coat"),
    ("denim_jacket", "Denim jacket", "a denim jacket with a simple tee"),
    ("boho", "Boho", "a flowing bohemian outfit"),
    ("preppy", "Preppy", "a preppy sweater vest and pleated skirt"),
    ("winter_coat", "Winter coat and scarf", "a warm wool coat and scarf"),
    ("chef_whites", "Chef's whites", "a white chef's jacket"),
]

ATTRIBUTES = {
    "style": STYLES,
    "gender": GENDERS,
    "ethnicity": ETHNICITIES,
    "hair_colour": HAIR_COLOURS,
    "hair_style": HAIR_STYLES,
    "eye_colour": EYE_COLOURS,
    "body_type": BODY_TYPES,
    "default_outfit": OUTFITS,
}


def choices(options) -> list[tuple[str, str]]:
    """Django ``choices`` for a field: ``(value, label)``."""
    return [(value, label) for value, label, _words in options]


def label(attribute: str, value: str) -> str:
    return next((lbl for v, lbl, _w in ATTRIBUTES[attribute] if v == value), value)


def words(attribute: str, value: str) -> str:
    """The prompt words for a stored value ('' if unknown)."""
    return next((w for v, _l, w in ATTRIBUTES[attribute] if v == value), "")


def describe(character) -> str:
    """The character's appearance as prompt text: 'Photo of a 27 year old East Asian woman with
    long wavy black hair, brown eyes, athletic body type'."""
    person = words("gender", character.gender) or "person"
    ethnicity = words("ethnicity", character.ethnicity)
    parts = [
        f"{words('style', character.style) or 'Photo'} of a {character.age} year old {ethnicity} {person}".replace(
            "  ", " "
        )
    ]
    hair = " ".join(
        filter(None, [words("hair_style", character.hair_style), words("hair_colour", character.hair_colour)])
    )
    if hair:
        parts.append(f"with {hair} hair")
    if eyes := words("eye_colour", character.eye_colour):
        parts.append(f"{eyes} eyes")
    if body := words("body_type", character.body_type):
        parts.append(f"{body} body type")
    return ", ".join(parts)
