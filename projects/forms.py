from __future__ import annotations

from django import forms

from projects.models import MAX_NAME_CHARS
from projects.script_files import MAX_BYTES


class ProjectForm(forms.Form):
    name = forms.CharField(
        max_length=MAX_NAME_CHARS,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Lagos Nights, season 1", "autocomplete": "off"}),
    )
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What it is, for whom, by when."}),
    )


class ScriptUploadForm(forms.Form):
    file = forms.FileField(
        label="Script file",
        help_text=f".fountain, .txt or .pdf, up to {MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".fountain,.spmd,.txt,.pdf"}),
    )
    title = forms.CharField(required=False, max_length=200, help_text="Optional: the file's name is used otherwise.")


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Type the project's name to confirm", max_length=MAX_NAME_CHARS)
