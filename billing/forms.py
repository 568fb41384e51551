from django import forms

MAX_LOW_CREDIT_THRESHOLD = 1_000_000


class LowCreditAlertForm(forms.Form):
    threshold = forms.IntegerField(
        label="Email owners and admins when available credits fall below",
        min_value=0,
        max_value=MAX_LOW_CREDIT_THRESHOLD,
        help_text="Once each time they fall below it. 0 turns the email off.",
        error_messages={
            "required": "Enter a number of credits, or 0 to turn the email off.",
            "invalid": "Enter a whole number of credits, like 100.",
            "min_value": "Enter 0 or more; 0 turns the email off.",
            "max_value": f"Enter at most {MAX_LOW_CREDIT_THRESHOLD:,}.",
        },
        widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric"}),
    )
