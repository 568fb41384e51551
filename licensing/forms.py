"""Forms: becoming a creator (profile, consent, terms), changing the terms, browsing, requesting a
licence and starting a licensed pack."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from generation import presets
from licensing.models import USES
from licensing.services import CONSENT_CLAUSES, TermsInput


class TermsForm(forms.Form):
    royalty_per_image = forms.DecimalField(
        label="Royalty per image (US $)",
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=4,
        help_text="Paid to you for every image a licensee receives. Up to four decimals, e.g. 0.125.",
        widget=forms.NumberInput(attrs={"step": "0.0001", "inputmode": "decimal"}),
    )
    uses = forms.MultipleChoiceField(
        label="Allowed uses", choices=USES, widget=forms.CheckboxSelectMultiple, initial=["personal"]
    )
    nsfw_allowed = forms.BooleanField(
        label="Allow adult content", required=False, help_text="Only if your consent record covers adult content."
    )
    monthly_limit = forms.IntegerField(
        label="Images per licensee per month", min_value=1, max_value=100_000, initial=100
    )
    exclusive = forms.BooleanField(label="Exclusive: one licensee at a time", required=False)
    territories = forms.CharField(label="Territories", max_length=200, initial="Worldwide")
    length_days = forms.IntegerField(label="Licence length (days)", min_value=1, max_value=3650, initial=365)

    def terms(self) -> TermsInput:
        data = self.cleaned_data
        return TermsInput(
            royalty_per_image=data["royalty_per_image"],
            uses=list(data["uses"]),
            nsfw_allowed=data["nsfw_allowed"],
            monthly_limit=data["monthly_limit"],
            exclusive=data["exclusive"],
            territories=data["territories"],
            length_days=data["length_days"],
        )


class CreatorForm(TermsForm):
    character = forms.ChoiceField(label="Your character", help_text="Trained from 5–15 photos of you.")
    display_name = forms.CharField(label="Name licensees see", max_length=80)
    bio = forms.CharField(label="Bio", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    image_ownership = forms.BooleanField(label=CONSENT_CLAUSES["image_ownership"], required=False)
    licensing_rights = forms.BooleanField(label=CONSENT_CLAUSES["licensing_rights"], required=False)
    commercial_use = forms.BooleanField(label=CONSENT_CLAUSES["commercial_use"], required=False)
    content_responsibility = forms.BooleanField(label=CONSENT_CLAUSES["content_responsibility"], required=False)

    field_order = ["character", "display_name", "bio"]

    def __init__(self, *args, characters=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["character"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(c.public_id), c.name) for c in characters]

    def consents(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(key)) for key in CONSENT_CLAUSES}


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Name licensees see", max_length=80)
    bio = forms.CharField(label="Bio", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    listed = forms.BooleanField(label="List me in the creator directory", required=False)
    auto_approve = forms.BooleanField(label="Approve licence requests automatically", required=False)


class BrowseForm(forms.Form):
    q = forms.CharField(required=False, max_length=80, label="Search")
    use = forms.ChoiceField(required=False, choices=[("", "Any use"), *USES], label="Use")
    nsfw = forms.ChoiceField(
        required=False,
        choices=[("", "Any adult-content policy"), ("yes", "Allows adult content"), ("no", "No adult content")],
        label="Adult content",
    )


class RequestForm(forms.Form):
    purpose = forms.CharField(
        label="What will you use the images for?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The creator reads this before approving.",
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Reason (shown to the licensee)", max_length=200, required=False)


class LicensedPackForm(forms.Form):
    use = forms.ChoiceField(label="What the images are for", choices=USES)
    scene = forms.ChoiceField(label="Scene", choices=[(s.key, s.label) for s in presets.SCENES])
    environment = forms.ChoiceField(label="Environment", choices=[(e.key, e.label) for e in presets.ENVIRONMENTS])
    quality = forms.ChoiceField(label="Quality", choices=[(q.key, q.label) for q in presets.QUALITIES])
    count = forms.TypedChoiceField(label="Images", coerce=int, choices=[(n, str(n)) for n in presets.COUNTS])
    nsfw = forms.BooleanField(label="Adult content", required=False)
    prompt_text = forms.CharField(label="Extra words (optional)", required=False, max_length=2000)
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
