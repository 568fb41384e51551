from django import forms

from accounts import questionnaire as q
from accounts.models import QuestionnaireResponse, User
from core.forms import choice_pairs


class QuestionnaireForm(forms.ModelForm):
    platforms = forms.MultipleChoiceField(
        label="Where do you publish?",
        choices=q.PLATFORM_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = QuestionnaireResponse
        fields = ["role", "team_size", "primary_goal", "platforms", "monthly_volume", "heard_from", "heard_from_detail"]
        labels = {
            "role": "What describes you best?",
            "team_size": "How big is your team?",
            "primary_goal": "What do you want to do first?",
            "monthly_volume": "How many images a month do you expect to make?",
            "heard_from": "How did you hear about us?",
            "heard_from_detail": "Anything to add? (optional)",
        }
        widgets = {
            "role": forms.RadioSelect,
            "team_size": forms.RadioSelect,
            "primary_goal": forms.RadioSelect,
            "monthly_volume": forms.RadioSelect,
            "heard_from": forms.Select,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("role", "team_size", "primary_goal", "monthly_volume", "heard_from"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # model fields with choices
            field.required = False
            field.choices = [c for c in choice_pairs(field) if c[0] != ""]
        heard_from = self.fields["heard_from"]
        assert isinstance(heard_from, forms.ChoiceField)
        heard_from.choices = [("", "Choose one"), *choice_pairs(heard_from)]


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]
        labels = {"name": "Your name"}
        help_texts = {"name": "Shown to your teammates."}
