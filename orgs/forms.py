from django import forms

from orgs.models import Role


class OrgCreateForm(forms.Form):
    name = forms.CharField(
        label="Organisation name",
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Northstar Talent", "autocomplete": "organization"}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if len(name) < 2:
            raise forms.ValidationError("Use at least 2 characters.")
        return name


class JoinRequestForm(forms.Form):
    org_id = forms.CharField(
        label="Organisation ID",
        max_length=64,
        widget=forms.TextInput(
            attrs={"placeholder": "3f2b8c1e-5d4a-4c1b-9e7f-…", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="An owner or admin finds it on their Settings page.",
    )
    message = forms.CharField(
        label="Message to the admins (optional)",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Hi, I'm Sam from the content team"}),
    )


INVITE_ROLE_CHOICES = [(Role.MEMBER, "Member"), (Role.ADMIN, "Admin"), (Role.VIEWER, "Viewer")]


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"placeholder": "teammate@agency.com", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=INVITE_ROLE_CHOICES, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApproveForm(forms.Form):
    role = forms.ChoiceField(choices=INVITE_ROLE_CHOICES, initial=Role.MEMBER)


class OrgSettingsForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=80)
    email = forms.EmailField(label="Billing email", help_text="Invoices and billing notices go here.")
    allow_join_requests = forms.BooleanField(
        label="Let people request to join with the organisation ID",
        required=False,
        help_text="Requests always need approval by an owner or admin.",
    )


DATASET_RETENTION_CHOICES = [
    (7, "7 days after training"),
    (14, "14 days after training"),
    (30, "30 days after training (recommended)"),
    (90, "90 days after training"),
    (365, "1 year after training"),
    (0, "Keep them until the character is deleted"),
]


class DatasetRetentionForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Delete training photos",
        choices=DATASET_RETENTION_CHOICES,
        coerce=int,
        help_text="A trained face model doesn't need its photos any more. Deleting them limits what is kept "
        "of real people's faces; training again needs new photos.",
    )
