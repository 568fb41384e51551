from django import forms

from assets.models import Asset
from assets.selectors import LENGTHS, LIKENESS, SORTS, LibraryFilters, search_terms


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    kind = forms.ChoiceField(required=False, choices=[("", "All types"), *Asset.Kind.choices])
    length = forms.ChoiceField(
        required=False, choices=[("", "Any length"), *((key, row[0]) for key, row in LENGTHS.items())]
    )
    likeness = forms.ChoiceField(
        required=False, choices=[("", "Any likeness"), *((key, row[0]) for key, row in LIKENESS.items())]
    )
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()))
    source = forms.ChoiceField(required=False, choices=[("", "All sources"), *Asset.Source.choices])
    tag = forms.UUIDField(required=False)
    collection = forms.UUIDField(required=False)
    project = forms.UUIDField(required=False)
    liked = forms.BooleanField(required=False, label="Liked only")
    nsfw = forms.ChoiceField(
        required=False,
        choices=[("", "Include NSFW (blurred)"), ("hide", "Hide NSFW"), ("only", "Only NSFW")],
        label="Adult content",
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_q(self) -> str:
        q = self.cleaned_data["q"].strip()
        if q and not search_terms(q):
            raise forms.ValidationError("Search needs at least one letter or number.")
        return q

    def filters(self) -> LibraryFilters:
        """The valid filters; an invalid value is ignored rather than failing the page."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        return LibraryFilters(
            kind=data.get("kind") or "",
            length=data.get("length") or "",
            likeness=data.get("likeness") or "",
            sort=data.get("sort") or "",
            source=data.get("source") or "",
            tag=str(data["tag"]) if data.get("tag") else "",
            collection=str(data["collection"]) if data.get("collection") else "",
            project=str(data["project"]) if data.get("project") else "",
            liked=bool(data.get("liked")),
            nsfw=data.get("nsfw") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=(data.get("q") or "").strip(),
        )


class UploadStartForm(forms.Form):
    filename = forms.CharField(max_length=1000)
    size = forms.IntegerField(min_value=0)
    content_type = forms.CharField(max_length=200, required=False)


class RenameForm(forms.Form):
    title = forms.CharField(max_length=200)


class TagsForm(forms.Form):
    tags = forms.CharField(required=False, max_length=2000)


class CollectionForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name")
    description = forms.CharField(max_length=300, required=False, label="Description (optional)")


BULK_ACTIONS = [
    ("tag", "Tag"),
    ("collect", "Add to collection"),
    ("uncollect", "Remove from this collection"),
    ("like", "Like"),
    ("unlike", "Unlike"),
    ("download", "Download as zip"),
    ("delete", "Delete"),
]


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    ids = forms.CharField(
        widget=forms.HiddenInput,
        help_text="Comma-separated asset IDs.",
        error_messages={"required": "Select at least one item first."},
    )
    tags = forms.CharField(required=False, max_length=2000)
    collection = forms.UUIDField(required=False)

    def clean_ids(self):
        import uuid

        ids = []
        for raw in self.cleaned_data["ids"].split(","):
            raw = raw.strip()
            if not raw:
                continue
            try:
                ids.append(str(uuid.UUID(raw)))
            except ValueError:
                raise forms.ValidationError("The selection contains an unknown item.") from None
        if not ids:
            raise forms.ValidationError("Select at least one item first.")
        return ids
