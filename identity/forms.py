"""The keepers form (the Studio's "Generate until N keepers") and the lineage graph's re-run form."""

from __future__ import annotations

from django import forms

from generation import presets
from generation.packs import PackRecipe
from identity.keepers import MAX_WANTED, KeepersAsk


def _pairs(items) -> list[tuple[str, str]]:
    return [(p.key, p.label) for p in items]


class KeepersForm(forms.Form):
    wanted = forms.IntegerField(label="Keepers wanted", min_value=1, max_value=MAX_WANTED, initial=3)
    threshold = forms.IntegerField(label="Likeness threshold", min_value=1, max_value=100)
    budget = forms.IntegerField(label="Credit budget", min_value=1)
    scene = forms.ChoiceField(choices=_pairs(presets.SCENES), initial=presets.DEFAULT_SCENE)
    environment = forms.ChoiceField(choices=_pairs(presets.ENVIRONMENTS), initial=presets.DEFAULT_ENVIRONMENT)
    aspect_ratio = forms.ChoiceField(choices=_pairs(presets.ASPECTS), initial=presets.DEFAULT_ASPECT)
    quality = forms.ChoiceField(choices=_pairs(presets.QUALITIES), initial=presets.DEFAULT_QUALITY)
    prompt_text = forms.CharField(label="Extra words (optional)", required=False, max_length=2000)

    def ask(self) -> KeepersAsk:
        data = self.cleaned_data
        return KeepersAsk(
            wanted=data["wanted"],
            threshold=data["threshold"],
            budget=data["budget"],
            recipe=PackRecipe(
                scene=data["scene"],
                environment=data["environment"],
                aspect_ratio=data["aspect_ratio"],
                quality=data["quality"],
                prompt_text=data["prompt_text"],
                count=1,
            ),
        )


class RerunForm(forms.Form):
    """What may change when a node is made again; blank: as it was."""

    seed = forms.ChoiceField(choices=[("same", "The same seed"), ("new", "A new seed")], initial="same", required=False)
    scene = forms.ChoiceField(choices=[("", "As it was"), *_pairs(presets.SCENES)], required=False)
    lora = forms.CharField(required=False, help_text="A LoRA version (training run id); blank: as it was.")
