"""What a person asks a pack for (``PackRecipe``), what one image of it costs, and what is wrong
with a recipe in plain words. ``generation.packs`` starts packs from it (and re-exports these)."""

from __future__ import annotations

from dataclasses import dataclass, field

from assets.models import Asset
from billing.prices import operation_credits
from characters.models import Character
from characters.services import nsfw_permitted
from generation import presets, prompts
from styles.models import StyleRecipe


@dataclass
class PackRecipe:
    """What a person asked for. Keys are ``generation.presets`` keys."""

    scene: str = presets.DEFAULT_SCENE
    environment: str = presets.DEFAULT_ENVIRONMENT
    outfit: str = presets.KEEP_OUTFIT
    clothing: Asset | None = None
    aspect_ratio: str = presets.DEFAULT_ASPECT
    quality: str = presets.DEFAULT_QUALITY
    count: int = presets.DEFAULT_COUNT
    seed: int | None = None
    nsfw: bool = False
    prompt_text: str = ""
    prompts: list[str] = field(default_factory=list)  # per image; blank entries use the built prompt
    # A style recipe (styles.StyleRecipe) instead of a scene and an environment: the row, and its
    # words (``snapshot()``; a re-run passes the words the first pack used).
    style_source: StyleRecipe | None = None
    style: dict = field(default_factory=dict)

    def style_use(self, style: StyleRecipe) -> None:
        """Use ``style`` instead of a scene and an environment."""
        self.style_source, self.style = style, style.snapshot()
        self.scene = self.environment = ""


def price_per_image(quality: str, *, clothing: bool = False, describe: bool = False) -> int:
    """Credits for one image: the quality's price, plus a clothing change and a written prompt."""
    credits = operation_credits(presets.QUALITIES_BY_KEY[quality].operation)
    if clothing:
        credits += operation_credits("clothing_change")
    if describe:
        credits += operation_credits("prompt_generation")
    return credits


def recipe_problems(
    character: Character, recipe: PackRecipe, *, batch: bool = False, counts=presets.COUNTS
) -> dict[str, str]:
    """What's wrong with a recipe, by field, in plain words; {} if nothing. ``counts``: the pack
    sizes allowed (the Studio's 1, 5 or 10; variations ask for their own)."""
    problems = {}
    if not batch and recipe.count not in counts:
        problems["count"] = "Choose 1, 5 or 10 images."
    if recipe.style_source is not None and recipe.style_source.org_id != character.org_id:
        problems["style"] = "That style isn't in this organisation."
    elif not batch and not recipe.style and recipe.scene not in presets.SCENES_BY_KEY:
        problems["scene"] = "Choose one of the eight scenes."
    if not batch and not recipe.style and recipe.environment not in presets.ENVIRONMENTS_BY_KEY:
        problems["environment"] = "Choose one of the seven environments."
    if recipe.aspect_ratio not in presets.ASPECTS_BY_KEY:
        problems["aspect_ratio"] = "Choose 1:1, 9:16, 16:9, 2:3 or 4:3."
    if recipe.quality not in presets.QUALITIES_BY_KEY:
        problems["quality"] = "Choose draft or HQ."
    if recipe.outfit not in (presets.KEEP_OUTFIT, presets.CLOTHING, *presets.OUTFIT_KEYS):
        problems["outfit"] = "Choose one of the twenty outfits, keep the default, or upload a clothing image."
    elif recipe.outfit == presets.CLOTHING and recipe.clothing is None:
        problems["clothing"] = "Upload a photo of the clothing, or pick an outfit instead."
    if recipe.clothing is not None and (
        recipe.clothing.org_id != character.org_id or recipe.clothing.kind != Asset.Kind.IMAGE
    ):
        problems["clothing"] = "The clothing must be an image in this organisation's library."
    if recipe.seed is not None and not 0 <= recipe.seed <= presets.MAX_SEED:
        problems["seed"] = f"A seed is a whole number from 0 to {presets.MAX_SEED:,}."
    if recipe.nsfw and not nsfw_permitted(character):
        problems["nsfw"] = (
            f"Adult content isn't allowed for {character.name}. It needs the organisation's setting, the "
            "character's permission and a consent record that covers it (for a wizard character, an owner's "
            "attestation and a face unlike any real person here): see the character page."
        )
    if len(recipe.prompt_text) > prompts.MAX_PROMPT:
        problems["prompt_text"] = f"Keep the prompt to {prompts.MAX_PROMPT:,} characters."
    return problems
