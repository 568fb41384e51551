"""The Content Studio (PRODUCT.md §3): pick a character, set a recipe, generate a pack, watch it fill
in, retry, cancel, re-run, make variations, and look back at past packs.

The pack panel is one partial (``#pack``) polled every second while images are being made; the
server answers 286 once nothing is running, which stops the polling. Prompt drafts work the same
way (``#prompt-draft``). Every action also works as a plain form post.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from analytics.services import track
from billing.prices import operation_credits
from billing.selectors import credit_summary
from characters.models import Character
from characters.selectors import character_or_404
from characters.services import nsfw_permitted
from core import placement
from core.exceptions import DomainError
from core.htmx import render_page
from core.http import OrgHttpRequest, one_time_key
from core.jobs import ACTIVE
from core.refusals import refusals_as_messages
from generation import clothing, drafts, licence_checks, packs, presets, selectors
from generation.forms import StudioForm
from generation.models import GenerationJob
from orgs.decorators import ROLE_DENIED_MESSAGES, org_view
from orgs.models import Role
from styles import selectors as style_selectors

TEMPLATE = "generation/studio.html"


# --- Choosing a character ---------------------------------------------------------------------------


@require_GET
@org_view()
def studio_home(request: OrgHttpRequest):
    characters = list(
        Character.objects.for_org(request.org)
        .select_related("avatar")
        .annotate(
            packs=Count("generation_jobs", distinct=True),
            running=Count("generation_jobs", filter=Q(generation_jobs__status__in=ACTIVE), distinct=True),
        )
        .order_by("name")
    )
    # Arriving from a style's "Use in Studio": each character opens with that style chosen.
    style = style_selectors.studio_style(request.org, request.GET.get("style", ""))
    # Arriving from a project's "New pack": each character opens with the project chosen.
    project = request.GET.get("project", "")
    return render(
        request, "generation/studio_home.html", {"characters": characters, "style": style, "project": project}
    )


# --- The Studio ---------------------------------------------------------------------------------------


def _studio_context(request: OrgHttpRequest, character: Character, form: StudioForm, pack: GenerationJob | None):
    credits = credit_summary(request.org)
    return {
        "character": character,
        "form": form,
        "pack": pack,
        **pack_context(pack, request.org.slug),
        "credits": credits,
        "prices": {q.key: packs.price_per_image(q.key) for q in presets.QUALITIES},
        "clothing_price": operation_credits("clothing_change"),
        "prompt_price": operation_credits("prompt_generation"),
        "default_outfit": presets.outfit_label(presets.KEEP_OUTFIT)
        if not character.default_outfit
        else character.get_default_outfit_display(),
        "nsfw_allowed": form.nsfw_allowed,
        "draft": selectors.draft_open(character, request.user),
        "can_create": request.membership.can_create,
        "usable": character.mode != "none",
    }


_SENTINEL = uuid.UUID(int=0)


def _url_template(name: str, *args) -> str:
    """A reversed URL with a placeholder for one id, filled in per tile by ``str.replace``: the panel
    is polled every second, and a dozen reverses per tile added up."""
    return reverse(name, args=[*args, _SENTINEL])


def _tile_urls(pack: GenerationJob, images, slug: str) -> None:
    base = reverse("generation:pack", args=[slug, pack.public_id])
    detail = _url_template("assets:detail", slug)
    inpaint = _url_template("generation:inpaint", slug)
    clothes = _url_template("generation:clothes", slug)
    zero = str(_SENTINEL)
    for image in images:
        asset_id = str(image.asset.public_id) if image.asset else zero
        image.urls = {
            "detail": detail.replace(zero, asset_id),
            "inpaint": inpaint.replace(zero, asset_id),
            "clothes": clothes.replace(zero, asset_id),
            "retry": f"{base}images/{image.position}/retry/",
            "rerun": f"{base}images/{image.position}/rerun/",
        }


def pack_context(pack: GenerationJob | None, slug: str) -> dict:
    if pack is None:
        return {"images": [], "progress": None, "polling": False}
    images = list(pack.images.all())
    _tile_urls(pack, images, slug)
    progress = packs.progress(images)
    return {
        "images": images,
        "progress": progress,
        "threshold": packs.IDENTITY_THRESHOLD,
        "charged": progress.done * pack.price_per_image,
        # Keep polling while images are made, and until the delivered ones have their score.
        "polling": pack.is_active or any(image.asset_id and not image.scored for image in images),
    }


@require_http_methods(["GET", "POST"])
@org_view()
def studio(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    allowed = nsfw_permitted(character)
    if request.method == "POST":
        if not request.membership.can_create:
            messages.error(request, ROLE_DENIED_MESSAGES[Role.MEMBER])
            return redirect("generation:studio", request.org.slug, character.public_id)
        return _generate(request, character, allowed)
    pack = None
    if wanted := request.GET.get("pack"):
        pack = selectors.pack_get(request.org, _uuid_or_none(wanted))
        if pack is not None and pack.character_id != character.pk:
            pack = None
    pack = pack or selectors.pack_latest(character)
    # The form starts from the shown pack's settings (a new seed unless "Use these settings").
    initial = _initial_from(pack, seed=bool(request.GET.get("reuse"))) if pack and pack.origin != "batch" else {}
    styles = style_selectors.styles_for_studio(request.org)
    if wanted_style := style_selectors.studio_style(request.org, request.GET.get("style", "")):
        initial["style"] = str(wanted_style.public_id)  # from "Use in Studio"
    form = StudioForm(initial=initial, nsfw_allowed=allowed, styles=styles)
    placement.add_field(form, request.org, initial=request.GET.get("project", ""))  # "New pack" on a project
    track(
        "studio_opened",
        org=request.org,
        user=request.user,
        influencer_id=str(character.public_id),
        lora_status=character.lora_status,
        mode=character.mode,
    )
    return render_page(request, TEMPLATE, _studio_context(request, character, form, pack), partials=("pack",))


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _initial_from(pack: GenerationJob, *, seed: bool) -> dict:
    """The form filled in with a past pack's recipe; its seed too when asked ("Use these settings")."""
    return {
        "scene": pack.scene or presets.DEFAULT_SCENE,
        "environment": pack.environment or presets.DEFAULT_ENVIRONMENT,
        "outfit": pack.outfit if pack.outfit != presets.CLOTHING else presets.KEEP_OUTFIT,
        "aspect_ratio": pack.aspect_ratio,
        "quality": pack.quality,
        "count": str(pack.count) if pack.count in presets.COUNTS else str(presets.DEFAULT_COUNT),
        "seed": pack.seed if seed else None,
        "nsfw": pack.nsfw,
        "prompt_text": pack.prompt_text,
        "style": str(pack.style.public_id) if pack.style_id and pack.style else "",
    }


def _generate(request: OrgHttpRequest, character: Character, allowed: bool) -> HttpResponse:
    form = StudioForm(
        request.POST, request.FILES, nsfw_allowed=allowed, styles=style_selectors.styles_for_studio(request.org)
    )
    placement.add_field(form, request.org)
    if form.is_valid():
        try:
            garment = None
            if form.cleaned_data.get("outfit") == presets.CLOTHING:
                upload = form.cleaned_data.get("clothing")
                if not upload:
                    raise DomainError("Upload a photo of the clothing, or pick an outfit instead.", field="clothing")
                garment = clothing.clothing_store(
                    org=request.org, user=request.user, upload=upload, for_name=character.name
                )
            key = str(form.cleaned_data.get("key") or "")
            with placement.chosen(placement.form_choice(form)):
                job = packs.pack_start(
                    character=character, user=request.user, recipe=form.recipe(clothing=garment), key=key
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            url = reverse("generation:studio", args=[request.org.slug, character.public_id])
            return redirect(f"{url}?pack={job.public_id}#pack")
    context = _studio_context(request, character, form, selectors.pack_latest(character))
    context["written_prompts"] = form.written_prompts()
    if context["written_prompts"]:
        context["draft"] = None  # show what they edited, not the draft as it came
    return render(request, TEMPLATE, context, status=400)


# --- A pack -------------------------------------------------------------------------------------------


@require_GET
@org_view()
def pack(request: OrgHttpRequest, public_id):
    job = selectors.pack_or_404(request.org, public_id)
    # A licensed likeness's character lives in the creator's organisation: no Studio page here.
    if job.character is not None and job.character.org_id == request.org.pk:
        url = reverse("generation:studio", args=[request.org.slug, job.character.public_id])
        return redirect(f"{url}?pack={job.public_id}#pack")
    licence = licence_checks.checker(job.org_id, job.character)
    return render(
        request,
        "generation/pack.html",
        {
            "pack": job,
            **pack_context(job, request.org.slug),
            "can_create": False,
            "licence": licence.recipe(job=job) if licence else {},
        },
    )


@require_GET
@org_view()
def pack_status(request: OrgHttpRequest, public_id):
    """The pack panel, polled every second while images are on their way; 286 once none is."""
    job = selectors.pack_or_404(request.org, public_id)
    context = {
        "pack": job,
        "character": job.character,
        **pack_context(job, request.org.slug),
        "can_create": request.membership.can_create,
    }
    response = render(request, f"{TEMPLATE}#pack", context)
    if not context["polling"]:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _back_to_pack(request: OrgHttpRequest, job: GenerationJob) -> HttpResponse:
    if request.htmx:
        fresh = selectors.pack_or_404(request.org, job.public_id)
        return render(
            request,
            f"{TEMPLATE}#pack",
            {"pack": fresh, "character": fresh.character, **pack_context(fresh, request.org.slug), "can_create": True},
        )
    return redirect(packs.pack_url(job))


@require_POST
@org_view(Role.MEMBER)
def pack_cancel(request: OrgHttpRequest, public_id):
    job = selectors.pack_or_404(request.org, public_id)
    with refusals_as_messages(request):
        stopped = packs.pack_cancel(job=job, user=request.user)
        messages.success(
            request,
            f"Stopped {stopped} image{'s' if stopped != 1 else ''}; "
            f"{'their' if stopped != 1 else 'its'} credits are available again.",
        )
    return _back_to_pack(request, job)


@require_POST
@org_view(Role.MEMBER)
def pack_rerun(request: OrgHttpRequest, public_id):
    job = selectors.pack_or_404(request.org, public_id)
    new = job  # refused: back to this pack, with the reason
    with refusals_as_messages(request):
        new = packs.pack_rerun(job=job, user=request.user, key=one_time_key(request))
        messages.success(request, f"Running the same recipe again: {new.count} image{'s' if new.count != 1 else ''}.")
    return redirect(packs.pack_url(new))


@require_POST
@org_view(Role.MEMBER)
def image_retry(request: OrgHttpRequest, public_id, position: int):
    job = selectors.pack_or_404(request.org, public_id)
    image = selectors.pack_image_or_404(job, position)
    with refusals_as_messages(request):
        packs.image_retry(image=image, user=request.user)
        messages.success(request, f"Trying image {position + 1} again ({job.price_per_image} credits).")
    return _back_to_pack(request, job)


VARIATIONS = 4


@require_POST
@org_view(Role.MEMBER)
def image_rerun(request: OrgHttpRequest, public_id, position: int):
    """The same image again (same prompt, seed and settings), or ``variations=1`` for four new seeds."""
    job = selectors.pack_or_404(request.org, public_id)
    image = selectors.pack_image_or_404(job, position)
    variations = VARIATIONS if request.POST.get("variations") else 0
    new = job  # refused: back to this pack, with the reason
    with refusals_as_messages(request):
        new = packs.image_rerun(image=image, user=request.user, variations=variations, key=one_time_key(request))
        messages.success(
            request,
            f"Making {VARIATIONS} variations of image {position + 1}."
            if variations
            else f"Re-running image {position + 1}.",
        )
    return redirect(packs.pack_url(new))


# --- Prompt drafts ("Write prompts for me") -----------------------------------------------------------


@require_POST
@org_view(Role.MEMBER)
def prompts_write(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    allowed = nsfw_permitted(character)
    form = StudioForm(request.POST, nsfw_allowed=allowed, styles=style_selectors.styles_for_studio(request.org))
    context: dict = {"character": character}
    if not form.is_valid():
        context["draft_error"] = next(iter(form.errors.values()))[0]
    else:
        recipe = form.recipe()
        recipe.nsfw = allowed and request.POST.get("writer_nsfw") == "on"
        recipe.prompts = []
        try:
            context["draft"] = drafts.draft_start(
                character=character, user=request.user, recipe=recipe, key=request.POST.get("writer_key", "")
            )
        except DomainError as exc:
            context["draft_error"] = exc.message
    if not request.htmx:
        if "draft_error" in context:
            messages.error(request, context["draft_error"])
        url = reverse("generation:studio", args=[request.org.slug, character.public_id])
        return redirect(url)
    return render(request, f"{TEMPLATE}#prompt-draft", context, status=400 if "draft_error" in context else 200)


@require_GET
@org_view()
def prompts_status(request: OrgHttpRequest, public_id):
    draft = selectors.draft_or_404(request.org, public_id)
    response = render(request, f"{TEMPLATE}#prompt-draft", {"draft": draft, "character": draft.character})
    if draft.status not in ACTIVE:
        response.status_code = HttpResponseStopPolling.status_code
    return response


# --- History --------------------------------------------------------------------------------------------


@require_GET
@org_view()
def history(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    filters = {name: request.GET.get(name, "") for name in selectors.HISTORY_FILTERS}
    page = Paginator(selectors.pack_history(character, filters), 12).get_page(request.GET.get("page"))
    return render(
        request,
        "generation/history.html",
        {
            "character": character,
            "page": page,
            "filters": filters,
            "scenes": presets.SCENES,
            "environments": presets.ENVIRONMENTS,
            "qualities": presets.QUALITIES,
            "modes": GenerationJob.Mode.choices,
            "threshold": packs.IDENTITY_THRESHOLD,
        },
    )
