"""The Studio's form: a pack's recipe (scene and environment, or one of the org's style recipes;
outfit, format, quality, count, seed, adult content, free text and per-image prompts), and the
library batch's settings."""

from __future__ import annotations

import uuid

from django import forms

from characters import attributes
from core.forms import choice_pairs
from generation import presets, prompts
from generation.packs import PackRecipe
from styles.models import StyleRecipe

MAX_WRITTEN_PROMPTS = max(presets.COUNTS)


def _cards(items) -> list[tuple[str, str]]:
    return [(p.key, p.label) for p in items]


class StudioForm(forms.Form):
    scene = forms.ChoiceField(choices=_cards(presets.SCENES), initial=presets.DEFAULT_SCENE, widget=forms.RadioSelect)
    environment = forms.ChoiceField(
        choices=_cards(presets.ENVIRONMENTS), initial=presets.DEFAULT_ENVIRONMENT, widget=forms.RadioSelect
    )
    outfit = forms.ChoiceField(
        choices=[
            (presets.KEEP_OUTFIT, "Keep default"),
            *attributes.choices(attributes.OUTFITS),
            (presets.CLOTHING, "Upload clothing"),
        ],
        initial=presets.KEEP_OUTFIT,
        required=False,
        widget=forms.RadioSelect,
    )
    clothing = forms.FileField(required=False, allow_empty_file=True)
    aspect_ratio = forms.ChoiceField(
        choices=[(a.key, a.label) for a in presets.ASPECTS], initial=presets.DEFAULT_ASPECT, widget=forms.RadioSelect
    )
    quality = forms.ChoiceField(
        choices=[(q.key, q.label) for q in presets.QUALITIES], initial=presets.DEFAULT_QUALITY, widget=forms.RadioSelect
    )
    count = forms.TypedChoiceField(
        choices=[(str(c), str(c)) for c in presets.COUNTS],
        coerce=int,
        initial=str(presets.DEFAULT_COUNT),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose 1, 5 or 10 images."},
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=presets.MAX_SEED,
        widget=forms.NumberInput(attrs={"placeholder": "Random", "inputmode": "numeric"}),
        help_text="The same seed and recipe make the same image again. Leave empty for new ones.",
        error_messages={
            "min_value": f"A seed is a whole number from 0 to {presets.MAX_SEED:,}.",
            "max_value": f"A seed is a whole number from 0 to {presets.MAX_SEED:,}.",
            "invalid": f"A seed is a whole number from 0 to {presets.MAX_SEED:,}.",
        },
    )
    nsfw = forms.BooleanField(required=False, label="Adult content")
    prompt_text = forms.CharField(
        required=False,
        max_length=prompts.MAX_PROMPT,
        label="Your words (optional)",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. holding a coffee cup, wind in the hair, shot on 35mm film"}
        ),
        help_text="Added to every image's prompt, after the presets.",
    )
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # "Your styles": the org's style recipes offered in the Studio; choices are set per form.
    style = forms.ChoiceField(
        choices=[("", "No style")],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "That style is no longer offered in the Studio. Pick another, or none."},
    )

    def __init__(self, *args, nsfw_allowed: bool = False, styles: list[StyleRecipe] | tuple = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.nsfw_allowed = nsfw_allowed
        self.styles = {str(s.public_id): s for s in styles}
        style_field = self.fields["style"]
        assert isinstance(style_field, forms.ChoiceField)
        style_field.choices = [("", "No style"), *((key, s.name) for key, s in self.styles.items())]
        if not nsfw_allowed:
            del self.fields["nsfw"]
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())

    def written_prompts(self) -> list[str]:
        """The per-image prompts the person wrote or edited (``prompt_0`` …), in order."""
        data = self.data if self.is_bound else {}
        found = []
        for n in range(MAX_WRITTEN_PROMPTS):
            value = " ".join(str(data.get(f"prompt_{n}", "")).split())
            found.append(value[: prompts.MAX_PROMPT])
        while found and not found[-1]:
            found.pop()
        return found

    def recipe(self, *, clothing=None) -> PackRecipe:
        data = self.cleaned_data
        count = data["count"]
        recipe = PackRecipe(
            scene=data["scene"],
            environment=data["environment"],
            outfit=data.get("outfit") or presets.KEEP_OUTFIT,
            clothing=clothing,
            aspect_ratio=data["aspect_ratio"],
            quality=data["quality"],
            count=count,
            seed=data.get("seed"),
            nsfw=bool(data.get("nsfw")),
            prompt_text=data.get("prompt_text") or "",
            prompts=self.written_prompts()[:count],
        )
        if style := self.styles.get(data.get("style") or ""):
            recipe.style_use(style)
        return recipe

    # For the template: each choice as plain values (rendering ~60 radio widgets through the
    # form renderer cost more than the rest of the page).
    def _options(self, name: str, entries) -> list[dict]:
        current = str(self[name].value() if self[name].value() is not None else "")
        return [
            {
                "id": f"id_{name}_{n}",
                "name": name,
                "value": value,
                "label": label,
                "words": words,
                "checked": str(value) == current,
                "extra": extra,
            }
            for n, (value, label, words, extra) in enumerate(entries)
        ]

    def scene_cards(self):
        return self._options("scene", [(p.key, p.label, p.description, None) for p in presets.SCENES])

    def style_cards(self) -> list[dict]:
        """ "Your styles": no style first, then each offered style with its recipe."""
        return self._options(
            "style", [("", "No style", "", None), *((k, s.name, s.summary, s) for k, s in self.styles.items())]
        )

    def environment_cards(self):
        return self._options("environment", [(p.key, p.label, p.description, None) for p in presets.ENVIRONMENTS])

    def outfit_choices(self):
        words = {value: text for value, _label, text in attributes.OUTFITS}
        outfit = self.fields["outfit"]
        assert isinstance(outfit, forms.ChoiceField)
        return self._options(
            "outfit", [(value, label, words.get(value, ""), None) for value, label in choice_pairs(outfit)]
        )

    def aspect_choices(self):
        return self._options("aspect_ratio", [(a.key, a.label, a.hint, a) for a in presets.ASPECTS])

    def quality_choices(self):
        return self._options("quality", [(q.key, q.label, q.hint, q) for q in presets.QUALITIES])

    def count_choices(self):
        return self._options("count", [(str(c), str(c), "", None) for c in presets.COUNTS])


# --- The library's batch sidebar ------------------------------------------------------------------


def selected_ids(raw: str) -> list[str]:
    """Library ids from the selection (comma-separated ``public_id``s), in order, without repeats.
    Raises ``ValidationError`` when one isn't an id."""
    ids = []
    for part in (raw or "").split(","):
        if part := part.strip():
            try:
                ids.append(str(uuid.UUID(part)))
            except ValueError:
                raise forms.ValidationError("Something in this selection isn't in the library.") from None
    return list(dict.fromkeys(ids))


class BatchForm(forms.Form):
    """One image of a character per selected library image: the character, the prompt generator
    (and its adult switch), the resolution and quality, and an optional clothing photo."""

    ids = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "Select images in the library first."})
    character = forms.UUIDField(error_messages={"required": "Choose a character.", "invalid": "Choose a character."})
    use_prompt_writer = forms.BooleanField(required=False, initial=True)
    nsfw = forms.BooleanField(required=False)
    aspect_ratio = forms.ChoiceField(
        choices=[(a.key, a.label) for a in presets.ASPECTS], initial=presets.DEFAULT_ASPECT, widget=forms.RadioSelect
    )
    quality = forms.ChoiceField(
        choices=[(q.key, q.label) for q in presets.QUALITIES], initial=presets.DEFAULT_QUALITY, widget=forms.RadioSelect
    )
    clothing = forms.FileField(required=False, allow_empty_file=True)
    clothing_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())

    def clean_ids(self) -> list[str]:
        ids = selected_ids(self.cleaned_data["ids"])
        if not ids:
            raise forms.ValidationError("Select images in the library first.")
        return ids

    def recipe(self, *, clothing=None) -> PackRecipe:
        data = self.cleaned_data
        return PackRecipe(
            scene="",
            environment="",
            outfit=presets.CLOTHING if clothing is not None else presets.KEEP_OUTFIT,
            clothing=clothing,
            aspect_ratio=data["aspect_ratio"],
            quality=data["quality"],
            # Adult wording is the prompt generator's: without it, the switch means nothing.
            nsfw=bool(data.get("nsfw")) and bool(data.get("use_prompt_writer")),
        )

    def aspect_choices(self):
        return list(zip(self["aspect_ratio"], presets.ASPECTS, strict=True))

    def quality_choices(self):
        return list(zip(self["quality"], presets.QUALITIES, strict=True))
