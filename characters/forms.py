"""Forms for characters: the attributes (wizard and edit), and the photo path's name, uploads, moves,
consent and captions."""

from __future__ import annotations

from django import forms

from characters import attributes as attrs
from characters.rules import BUCKETS


class PhotosCharacterForm(forms.Form):
    """Step one of "create from photos": a name, and optionally who the photos show."""

    name = forms.CharField(
        max_length=80,
        label="Name",
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "e.g. Maya Lindqvist", "autocomplete": "off"}),
    )
    gender = forms.ChoiceField(
        label="Gender (optional)", required=False, choices=[("", "Not set"), *attrs.choices(attrs.GENDERS)]
    )
    age = forms.IntegerField(
        label="Age (optional)",
        required=False,
        min_value=attrs.MIN_AGE,
        max_value=attrs.MAX_AGE,
        help_text=f"{attrs.MIN_AGE} or older: characters are always adults. Used when prompts describe the "
        "character; if you leave it empty, prompts say 25 until you change it.",
        widget=forms.NumberInput(attrs={"min": attrs.MIN_AGE, "max": attrs.MAX_AGE, "inputmode": "numeric"}),
        error_messages={"min_value": f"Characters are adults: the age must be {attrs.MIN_AGE} or more."},
    )

    def attributes(self) -> dict:
        data = {"gender": self.cleaned_data["gender"]}
        if self.cleaned_data["age"] is not None:
            data["age"] = self.cleaned_data["age"]
        return data


class BucketForm(forms.Form):
    bucket = forms.ChoiceField(choices=[(b.key, b.label) for b in BUCKETS])


class PhotoUploadForm(BucketForm):
    file = forms.FileField(allow_empty_file=True)


class PhotoReplaceForm(forms.Form):
    file = forms.FileField(allow_empty_file=True)


class ConsentForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Tick the box to confirm, then press “I confirm”."}
    )
    adult = forms.BooleanField(required=False)


class AttestationForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Tick the box to confirm, then press “Record the attestation”."}
    )


class CaptionForm(forms.Form):
    caption = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _optional(options) -> list[tuple[str, str]]:
    return [("", "Any"), *attrs.choices(options)]


class CharacterAttributesForm(forms.Form):
    """A character's name and appearance. Ages below 18 are refused here, in the service and by a
    database check."""

    name = forms.CharField(
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Nova Reyes", "autocomplete": "off"}),
    )
    style = forms.ChoiceField(choices=attrs.choices(attrs.STYLES), initial="photo", widget=forms.RadioSelect)
    gender = forms.ChoiceField(label="Who", choices=_optional(attrs.GENDERS), required=False, widget=forms.RadioSelect)
    age = forms.IntegerField(
        min_value=attrs.MIN_AGE,
        max_value=attrs.MAX_AGE,
        initial=25,
        help_text=f"{attrs.MIN_AGE} or older: characters are always adults.",
        widget=forms.NumberInput(attrs={"min": attrs.MIN_AGE, "max": attrs.MAX_AGE, "inputmode": "numeric"}),
        error_messages={
            "min_value": f"Characters are adults: the age must be {attrs.MIN_AGE} or more.",
            "max_value": f"The age can be at most {attrs.MAX_AGE}.",
            "required": f"Give an age of {attrs.MIN_AGE} or more.",
        },
    )
    ethnicity = forms.ChoiceField(choices=_optional(attrs.ETHNICITIES), required=False, widget=forms.RadioSelect)
    hair_colour = forms.ChoiceField(choices=_optional(attrs.HAIR_COLOURS), required=False, widget=forms.RadioSelect)
    hair_style = forms.ChoiceField(choices=_optional(attrs.HAIR_STYLES), required=False, widget=forms.RadioSelect)
    eye_colour = forms.ChoiceField(choices=_optional(attrs.EYE_COLOURS), required=False, widget=forms.RadioSelect)
    body_type = forms.ChoiceField(choices=_optional(attrs.BODY_TYPES), required=False, widget=forms.RadioSelect)
    default_outfit = forms.ChoiceField(
        choices=attrs.choices(attrs.OUTFITS), initial="casual_jeans", widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label="Anything else (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. freckles, a small scar above the left eyebrow"}),
        help_text="Details the choices above don't cover. Plain words work best.",
    )

    def __init__(self, *args, wizard: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if wizard:
            # The wizard paints a face from these words, so it needs to know who to paint.
            gender = self.fields["gender"]
            assert isinstance(gender, forms.ChoiceField)
            gender.required = True
            gender.choices = attrs.choices(attrs.GENDERS)
            gender.error_messages["required"] = "Choose who the character is: a woman, a man or a non-binary person."

    def chip_groups(self):
        """The optional appearance fields, in the order the page shows them as rows of chips."""
        return [self[name] for name in ("ethnicity", "hair_colour", "hair_style", "eye_colour", "body_type")]

    def outfits(self):
        """Each outfit choice with the words the prompt uses for it, for the outfit cards."""
        words = {value: text for value, _label, text in attrs.OUTFITS}
        return [(choice, words.get(choice.data["value"], "")) for choice in self["default_outfit"]]
