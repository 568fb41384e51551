"""A character's pages: the list, choosing how to create one, the character page, edit, delete and the
NSFW permission."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets.models import Asset
from assets.selectors import assets_of_character
from billing.prices import operation_credits
from characters import deletion, services, synthetic, zimage
from characters.forms import AttestationForm, CharacterAttributesForm
from characters.models import Character, CharacterJob, CharacterJobItem, Consent, DatasetImage, TrainingRun
from characters.selectors import character_or_404
from characters.views import run_elapsed
from characters.views.wizard import pipeline_context
from characters.wizard import hd_price
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from core.jobs import ACTIVE, JobStatus
from core.network import client_ip
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Role

# --- The list and choosing a path --------------------------------------------------------------


def _plan_limit(request: OrgHttpRequest, count: int) -> dict:
    limit = request.org.plan.max_characters
    return {
        "count": count,
        "limit": limit,
        "plan": request.org.plan,
        "at_limit": limit is not None and count >= limit,
    }


@require_GET
@org_view()
def character_list(request: OrgHttpRequest):
    characters = list(
        Character.objects.for_org(request.org)
        .select_related("avatar", "base_image")
        .annotate(photos=Count("dataset", distinct=True))
        .prefetch_related(
            Prefetch(
                "training_runs",
                queryset=TrainingRun.objects.filter(status__in=ACTIVE).order_by("-created_at"),
                to_attr="active_runs",
            )
        )
    )
    return render(
        request,
        "characters/list.html",
        {"characters": characters, "limits": _plan_limit(request, len(characters)), **_prices()},
    )


def _prices() -> dict:
    return {
        "photos_price": operation_credits("lora_training"),
        "wizard_price": operation_credits("wizard_candidates"),
        "hd_price": hd_price(),
        # The dataset builder (datasets app, linked by URL name): swap + enhance + caption a photo.
        "dataset_price": sum(operation_credits(op) for op in ("dataset_swap", "dataset_enhance", "dataset_caption")),
    }


@require_GET
@org_view(Role.MEMBER)
def character_new(request: OrgHttpRequest):
    count = Character.objects.for_org(request.org).count()
    return render(request, "characters/new.html", {"limits": _plan_limit(request, count), **_prices()})


# --- The character page --------------------------------------------------------------------------


def _latest_job(character: Character, kind: str) -> CharacterJob | None:
    return (
        CharacterJob.objects.filter(character=character, kind=kind)
        .prefetch_related(Prefetch("items", queryset=_items_with_assets()))
        .order_by("-created_at", "-id")
        .first()
    )


def _items_with_assets():
    return CharacterJobItem.objects.filter(status=JobStatus.SUCCEEDED, asset__isnull=False).select_related("asset")


def _character_assets(character: Character, sheet, references) -> list[dict]:
    """The library items made for this character, with what each one is."""
    rows: list[dict] = []
    seen: set[int] = set()

    def add(asset: Asset | None, role: str) -> None:
        if asset is not None and asset.pk not in seen:
            seen.add(asset.pk)
            rows.append({"asset": asset, "role": role})

    add(character.base_image, "Chosen face (base image)")
    add(character.lora_asset, "Face model (LoRA)")
    for job, role in ((references, "Reference image"), (sheet, "Character sheet")):
        for item in job.items.all() if job else []:
            add(item.asset, f"{role}{f' · {item.label}' if item.label else ''}")
    return rows


@require_GET
@org_view()
def character_detail(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    consent = Consent.objects.filter(character=character).select_related("user").order_by("-created_at", "-id").first()
    dataset = list(DatasetImage.objects.filter(character=character).select_related("asset")[:12])
    sheet = _latest_job(character, CharacterJob.Kind.SHEET)
    references = _latest_job(character, CharacterJob.Kind.REFERENCES)
    runs = [
        (run, run_elapsed(run) if run.finished_at else "")
        for run in TrainingRun.objects.filter(character=character).order_by("-created_at", "-id")
    ]
    return render(
        request,
        "characters/detail.html",
        {
            **pipeline_context(request, character),
            "consent": consent,
            "nsfw_problems": services.nsfw_problems(character, consent),
            "attestation": synthetic.attestation_current(character) if character.origin == "wizard" else None,
            "attestation_text": synthetic.ATTESTATION_TEXT,
            "dataset": dataset,
            "dataset_count": DatasetImage.objects.filter(character=character).count(),
            "sheet": sheet,
            "references": references,
            "runs": runs,
            "character_assets": _character_assets(character, sheet, references),
            "studio_assets": list(assets_of_character(character)[:12]),
            "studio_count": assets_of_character(character).count(),
            "drafts": zimage.drafts_for(character),
            "photos_price": operation_credits("lora_training"),
        },
    )


# --- Edit ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def character_edit(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    initial = {name: getattr(character, name) for name in CharacterAttributesForm.base_fields}
    form = CharacterAttributesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.character_update(character=character, user=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{character.name} saved.")
            return redirect("characters:detail", request.org.slug, character.public_id)
    return render(
        request,
        "characters/edit.html",
        {"character": character, "form": form},
        status=400 if form.errors else 200,
    )


# --- Delete ----------------------------------------------------------------------------------------


def _deleted_summary(counts: dict) -> str:
    parts = [f"{n} {label}" for label, n in _preview_rows(counts) if n]
    return ", ".join(parts)


def _preview_rows(counts: dict) -> list[tuple[str, int]]:
    """The delete preview as ``(what, how many)`` lines, in the order the page lists them."""
    labels = {
        "photos": ("training photo", "training photos"),
        "lora": ("face model (LoRA file)", "face models (LoRA files)"),
        "runs": ("training run", "training runs"),
        "images": ("generated image", "generated images"),
        "active": (
            "job still running, which will be cancelled with its credits returned",
            "jobs still running, which will be cancelled with their credits returned",
        ),
    }
    rows = []
    for key, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        singular, plural = labels.get(key, (key.replace("_", " "), key.replace("_", " ")))
        rows.append((singular if value == 1 else plural, value))
    return rows


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def character_delete(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    error = ""
    if request.method == "POST":
        typed = request.POST.get("confirm_name", "").strip()
        if typed != character.name.strip():
            error = f"Type the character's name, {character.name}, exactly as shown to confirm."
        else:
            name = character.name
            try:
                deleted = deletion.character_delete(character=character, user=request.user)
            except DomainError as exc:
                error = exc.message
            else:
                summary = _deleted_summary(deleted)
                messages.success(request, f"{name} was deleted{f' with {summary}' if summary else ''}.")
                return redirect("characters:list", request.org.slug)
    preview = deletion.character_delete_preview(character)
    return render(
        request,
        "characters/delete.html",
        {
            "character": character,
            "rows": _preview_rows(preview),
            "error": error,
            "typed": request.POST.get("confirm_name", ""),
        },
        status=400 if error else 200,
    )


# --- Adult content (NSFW) permission ---------------------------------------------------------------


@require_POST
@org_view(Role.OWNER)
def character_attest(request: OrgHttpRequest, public_id):
    """An owner attests that a wizard character is fictional, an adult and not made to resemble a
    real person (PRODUCT.md §9)."""
    character = character_or_404(request.org, public_id)
    if character.origin != Character.Origin.WIZARD:
        messages.error(request, "Characters made from photos carry a consent record instead of an attestation.")
    elif not AttestationForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm, then press “Record the attestation”.")
    else:
        synthetic.attestation_record(
            character=character,
            user=request.user,
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        messages.success(request, "Attestation recorded.")
    return redirect(f"{reverse('characters:detail', args=[request.org.slug, character.public_id])}#nsfw")


@require_POST
@org_view(Role.MEMBER)
def character_nsfw(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    allowed = request.POST.get("allowed") == "1"
    with refusals_as_messages(request):
        services.character_nsfw_set(character=character, user=request.user, allowed=allowed)
        messages.success(
            request,
            f"Adult content is allowed for {character.name}."
            if allowed
            else f"Adult content is off for {character.name}.",
        )
    return redirect("characters:detail", request.org.slug, character.public_id)
