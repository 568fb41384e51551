"""The Make video and Animate forms: they parse what was posted; the services judge it."""

from __future__ import annotations

from django import forms

from characters import attributes
from video import animate, routing
from video.models import AnimatePipeline
from video.services import VideoRequest


class MakeVideoForm(forms.Form):
    prompt = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    write = forms.BooleanField(required=False)
    seconds = forms.TypedChoiceField(
        choices=[(s, f"{s} s") for s in routing.DURATIONS],
        coerce=int,
        initial=6,
        error_messages={"required": "Choose 6, 8 or 10 seconds.", "invalid_choice": "Choose 6, 8 or 10 seconds."},
    )
    shape = forms.ChoiceField(choices=[(s.key, s.label) for s in routing.SHAPES.values()], required=False)
    resolution = forms.CharField(required=False, max_length=10)
    speed = forms.ChoiceField(choices=list(routing.SPEEDS.items()), initial="pro", required=False)
    audio = forms.BooleanField(required=False)
    nsfw = forms.BooleanField(required=False)
    key = forms.UUIDField(required=False)

    def video_request(self) -> VideoRequest:
        data = self.cleaned_data
        return VideoRequest(
            prompt=data.get("prompt", ""),
            seconds=data["seconds"],
            shape=data.get("shape") or "",
            resolution=data.get("resolution") or "",
            speed=data.get("speed") or "pro",
            audio=bool(data.get("audio")),
            nsfw=bool(data.get("nsfw")),
            write=bool(data.get("write")),
        )


class AnimateForm(forms.Form):
    character = forms.UUIDField(error_messages={"required": "Choose the character to animate."})
    mode = forms.ChoiceField(choices=AnimatePipeline.Mode.choices, initial=AnimatePipeline.Mode.REPLACE)
    resolution = forms.ChoiceField(choices=[(r, r) for r in animate.RESOLUTIONS], initial="480p")
    start = forms.FloatField(min_value=0, initial=0)
    seconds = forms.FloatField(min_value=0, required=False)
    outfit = forms.ChoiceField(
        choices=[("", "Keep the clothes"), *attributes.choices(attributes.OUTFITS)], required=False
    )
    outfit_words = forms.CharField(required=False, max_length=1000)
    nsfw = forms.BooleanField(required=False)
    key = forms.UUIDField(required=False)

    def animate_request(self, character) -> animate.AnimateRequest:
        data = self.cleaned_data
        return animate.AnimateRequest(
            character=character,
            mode=data["mode"],
            resolution=data["resolution"],
            start=data["start"] or 0.0,
            seconds=data.get("seconds") or 0.0,
            outfit=data.get("outfit") or "",
            outfit_words=data.get("outfit_words") or "",
            nsfw=bool(data.get("nsfw")),
        )
