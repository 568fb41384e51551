from django import forms


class OrgDeleteForm(forms.Form):
    confirm_name = forms.CharField(
        label="Type the organisation's name to confirm",
        max_length=80,
        error_messages={"required": "Type the organisation's name to confirm."},
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to confirm it's you."},
    )
    understood = forms.BooleanField(
        label="I understand that my account can't be restored.",
        error_messages={"required": "Tick the box to confirm."},
    )
