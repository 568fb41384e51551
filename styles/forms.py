"""The recipe page's form: the style's name and its seven fields, as the person edits them."""

from __future__ import annotations

from django import forms

from styles.models import FIELD_LABELS, FIELDS, MAX_FIELD_CHARS, MAX_NAME_CHARS, StyleRecipe

PLACEHOLDERS = {
    "pose": "e.g. leaning against a wall, one hand in a pocket, looking over the shoulder",
    "outfit": "e.g. oversized cream knit sweater, straight blue jeans, gold hoops",
    "lighting": "e.g. soft window light from the left, warm late-afternoon tones",
    "camera": "e.g. 85 mm portrait lens, f/1.8, shallow depth of field, eye level",
    "composition": "e.g. vertical, subject on the left third, lots of negative space",
    "background": "e.g. sunlit Parisian café terrace, blurred street behind",
    "mood": "e.g. relaxed, nostalgic, candid",
}


class StyleForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_CHARS, error_messages={"required": "Give the style a name."})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FIELDS:
            self.fields[name] = forms.CharField(
                label=FIELD_LABELS[name],
                required=False,
                max_length=MAX_FIELD_CHARS,
                widget=forms.Textarea(attrs={"rows": 2, "placeholder": PLACEHOLDERS[name]}),
                error_messages={"max_length": f"Keep this to {MAX_FIELD_CHARS} characters."},
            )

    @classmethod
    def for_style(cls, style: StyleRecipe) -> StyleForm:
        return cls(initial={"name": style.name, **{name: getattr(style, name) for name in FIELDS}})

    def words(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in FIELDS}

    def recipe_fields(self):
        return [self[name] for name in FIELDS]
