"""The library's batch sidebar (PRODUCT.md §4): select library images, choose a character, and make
one image of it from each, as one pack (``packs.batch_start``).

The panel (``#batch-panel``) is loaded into the library's drawer for the current selection. A refused
submit comes back as the panel with its errors (400) and nothing charged; a started batch goes to its
pack, where the Studio shows each image arriving.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from assets.models import Asset
from assets.selectors import asset_or_404
from characters.models import Character
from characters.selectors import character_or_404
from characters.services import nsfw_permitted
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from generation import clothing, followups, packs, presets, selectors
from generation.forms import BatchForm, selected_ids
from orgs.decorators import org_view
from orgs.models import Role

TEMPLATE = "generation/_batch_panel.html"


@dataclass(frozen=True)
class CharacterOption:
    """A character as the picker shows it: usable or not (and why), and whether adult content is."""

    character: Character
    why_not: str
    nsfw: bool
    nsfw_why: str

    @property
    def usable(self) -> bool:
        return not self.why_not


NO_FACE_YET: dict[str, str] = {
    Character.LoraStatus.TRAINING: "No face yet: its face model is still training.",
    Character.LoraStatus.SHEET: "No face yet: its face model is being prepared.",
    Character.LoraStatus.FAILED: "No face yet: training failed. Try again on its page.",
}


def _option(character: Character) -> CharacterOption:
    why_not = ""
    if character.mode == "none":
        why_not = NO_FACE_YET.get(character.lora_status, "No face yet: choose a base image or train its face model.")
    nsfw = not why_not and nsfw_permitted(character)
    if nsfw:
        nsfw_why = ""
    elif not character.org.adult_content:
        nsfw_why = "Adult content is off for the organisation; an owner can allow it in Settings."
    else:
        nsfw_why = (
            f"Adult content is off for {character.name}: it needs the character's permission and a consent "
            "record that covers it."
        )
    return CharacterOption(character=character, why_not=why_not, nsfw=nsfw, nsfw_why=nsfw_why)


def _selection_or_404(request: OrgHttpRequest, ids: list[str]) -> tuple[list[Asset], int]:
    found = selectors.batch_selection(request.org, ids)
    if found is None:
        raise Http404("Something in this selection isn't in the library.")
    return found


def _only_usable(options: list[CharacterOption]) -> str:
    """With one character to choose from, it is chosen already."""
    usable = [o for o in options if o.usable]
    return str(usable[0].character.public_id) if len(usable) == 1 else ""


def _panel(request: OrgHttpRequest, form: BatchForm, images, skipped: int, *, kept_clothing=None, status=200):
    data = form.data if form.is_bound else {}
    quality = data.get("quality") or presets.DEFAULT_QUALITY
    describe = data.get("use_prompt_writer") == "on" if form.is_bound else True
    options = [_option(c) for c in selectors.batch_characters(request.org)]
    context = {
        "form": form,
        "images": images,
        "skipped": skipped,
        "characters": options,
        "chosen": str(data.get("character", "")) if form.is_bound else _only_usable(options),
        "kept_clothing": kept_clothing,
        "max_batch": packs.MAX_BATCH,
        "cost": packs.cost_preview(
            request.org,
            quality=quality if quality in presets.QUALITIES_BY_KEY else presets.DEFAULT_QUALITY,
            count=len(images),
            clothing=kept_clothing is not None,
            describe=describe,
        ),
        "prices": {
            f"{q.key}|{int(c)}|{int(d)}": packs.price_per_image(q.key, clothing=c, describe=d)
            for q in presets.QUALITIES
            for c in (False, True)
            for d in (False, True)
        },
        "quality_prices": {q.key: packs.price_per_image(q.key) for q in presets.QUALITIES},
        "clothing_price": packs.price_per_image(presets.DEFAULT_QUALITY, clothing=True)
        - packs.price_per_image(presets.DEFAULT_QUALITY),
        "describe_price": packs.price_per_image(presets.DEFAULT_QUALITY, describe=True)
        - packs.price_per_image(presets.DEFAULT_QUALITY),
    }
    return render(request, TEMPLATE, context, status=status)


@require_POST
@org_view(Role.MEMBER)
def batch_panel(request: OrgHttpRequest):
    """The panel for the library's current selection, loaded into the drawer. A POST that changes
    nothing: a selection of a few hundred ids is too long for a URL."""
    if not request.htmx:
        return redirect("assets:library", request.org.slug)
    try:
        ids = selected_ids(request.POST.get("ids", ""))
    except forms.ValidationError:
        raise Http404("Something in this selection isn't in the library.") from None
    images, skipped = _selection_or_404(request, ids)
    return _panel(request, BatchForm(initial={"ids": ",".join(ids)}), images, skipped)


@require_POST
@org_view(Role.MEMBER)
def batch(request: OrgHttpRequest):
    """Start one pack over the selected images; refused with the panel and its errors (400)."""
    form = BatchForm(request.POST, request.FILES)
    valid = form.is_valid()
    data = form.cleaned_data
    # Another org's (or a deleted) item or character is a 404, whatever else is wrong.
    images, skipped = _selection_or_404(request, data.get("ids") or [])
    character = character_or_404(request.org, data["character"]) if data.get("character") else None
    garment = asset_or_404(request.org, data["clothing_id"]) if data.get("clothing_id") else None
    if garment is not None and garment.kind != Asset.Kind.IMAGE:
        raise Http404("No such item here.")
    if valid:
        assert character is not None  # the form requires one
        try:
            if upload := data.get("clothing"):
                garment = clothing.clothing_store(
                    org=request.org, user=request.user, upload=upload, for_name=character.name
                )
            # What other apps add to the pack (a clip of each image) is refused before it starts.
            followups.batch_check(request.org, request.POST, len(images))
            with transaction.atomic():
                job = packs.batch_start(
                    character=character,
                    user=request.user,
                    references=images,
                    recipe=form.recipe(clothing=garment),
                    use_prompt_writer=data["use_prompt_writer"],
                    key=str(data.get("key") or ""),
                )
                followups.batch_started(job, request.POST, request.user)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"Making {job.count} image{'s' if job.count != 1 else ''} of {job.character_name} from your "
                "library images.",
            )
            url = packs.pack_url(job)
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if not request.htmx:
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        return redirect(reverse("assets:library", args=[request.org.slug]))
    return _panel(request, form, images, skipped, kept_clothing=garment, status=400)
