"""Forms for the dataset builder: a new build (name and both attestations), and importing a zip."""

from __future__ import annotations

from django import forms

from characters import attributes as attrs
from datasets.services import RIGHTS_TEXT


class BuildForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Name",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Jade Moreau", "autocomplete": "off"}),
    )
    gender = forms.ChoiceField(
        label="Gender (optional)",
        required=False,
        choices=[("", "Not set"), *attrs.choices(attrs.GENDERS)],
        help_text="Tells the face-swap model whose face it is placing.",
    )
    consent = forms.BooleanField(
        label="I took the face photos or hold the rights to them, and the person is an adult (18 or older) who "
        "gave me written permission to create an AI character of them and train a face model.",
        error_messages={"required": "Confirm the consent for the face photos to continue."},
    )
    rights = forms.BooleanField(
        label=RIGHTS_TEXT, error_messages={"required": "Confirm your rights to the body photos to continue."}
    )


class ImportForm(BuildForm):
    file = forms.FileField(label="Kohya zip (images + .txt captions)")
