from __future__ import annotations

from django import forms

from api.models import SCOPE_DESCRIPTIONS, Scope

EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="Where it will be used, so you recognise it later: “Zapier”, “Build server”."
    )
    scopes = forms.MultipleChoiceField(
        choices=[(s.value, f"{s.label} — {SCOPE_DESCRIPTIONS[s]}") for s in Scope],
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        label="What it may do",
        error_messages={"required": "Choose at least one thing the key may do."},
    )
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")


class WebhookForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="Endpoint URL",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/personae"}),
        help_text="An https address that answers 2xx. It receives job.succeeded, job.failed and job.cancelled.",
    )
    description = forms.CharField(max_length=120, required=False, label="Description (optional)")
