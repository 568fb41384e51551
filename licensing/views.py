"""Licensing pages: the creator directory and a creator's page (licensees), becoming a creator and
the creator dashboard (creators), and a licence with its licensed pack form (licensees)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from characters.models import Character
from characters.selectors import character_or_404
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from generation.models import GenerationJob
from generation.packs import PackRecipe, pack_start
from licensing import payouts, selectors, services
from licensing.checker import used_this_month
from licensing.forms import (
    BrowseForm,
    CreatorForm,
    LicensedPackForm,
    ProfileForm,
    RequestForm,
    RevokeForm,
    TermsForm,
)
from licensing.models import CreatorProfile, License
from orgs.decorators import org_view
from orgs.models import Role


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- Licensees: the directory, a creator, a licence --------------------------------------------------


@require_GET
@org_view()
def directory(request: OrgHttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    creators = selectors.directory(**{k: v for k, v in filters.items() if v})
    return render(
        request,
        "licensing/directory.html",
        {
            "form": form,
            "creators": [(c, selectors.sample_urls(c)) for c in creators],
            "licences": selectors.licences_held(request.org),
            "own_profiles": CreatorProfile.objects.for_org(request.org).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
@org_view()
def creator(request: OrgHttpRequest, public_id) -> HttpResponse:
    profile = selectors.listed_or_own(request.org, public_id)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not request.membership.has_role(Role.ADMIN):
            form.add_error(None, "Only an admin or owner can ask for a licence.")
        else:
            try:
                licence = services.licence_request(
                    org=request.org, user=request.user, profile=profile, purpose=form.cleaned_data["purpose"]
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                if licence.status == License.Status.ACTIVE:
                    messages.success(request, f"Your licence for {profile.display_name} is active.")
                else:
                    messages.success(request, f"Request sent. {profile.display_name} will approve or decline it.")
                return redirect(licence.get_absolute_url())
    held = License.objects.for_org(request.org).filter(profile=profile).first()
    return render(
        request,
        "licensing/creator.html",
        {
            "profile": profile,
            "terms": profile.current_terms(),
            "samples": selectors.sample_urls(profile),
            "form": form,
            "held": held,
            "own": profile.org_id == request.org.pk,
        },
    )


@require_http_methods(["GET", "POST"])
@org_view()
def licence(request: OrgHttpRequest, public_id) -> HttpResponse:
    licence = selectors.licence_of_licensee(request.org, public_id)
    form = LicensedPackForm(request.POST or None, initial={"use": (licence.uses or [""])[0], "count": 5})
    if request.method == "POST" and form.is_valid():
        if not request.membership.can_create:
            form.add_error(None, "Viewers can't start packs; ask an admin for the member role.")
        elif licence.profile.character is None:
            form.add_error(None, f"{licence.profile.display_name} withdrew their character; no images can be made.")
        else:
            data = form.cleaned_data
            recipe = PackRecipe(
                scene=data["scene"],
                environment=data["environment"],
                quality=data["quality"],
                count=data["count"],
                nsfw=data["nsfw"],
                prompt_text=data["prompt_text"],
            )
            try:
                job = pack_start(
                    character=licence.profile.character,
                    user=request.user,
                    recipe=recipe,
                    key=data["key"],
                    org=request.org,
                    use=data["use"],
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                return redirect("generation:pack", request.org.slug, job.public_id)
    packs = GenerationJob.objects.filter(licensed__license=licence).order_by("-created_at")[:10]
    return render(
        request,
        "licensing/licence.html",
        {
            "licence": licence,
            "form": form,
            "used": used_this_month(licence),
            "packs": packs,
        },
    )


# --- Creators: becoming one, the dashboard ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def creator_new(request: OrgHttpRequest) -> HttpResponse:
    characters = list(
        Character.objects.for_org(request.org)
        .filter(origin=Character.Origin.PHOTOS, creator__isnull=True)
        .annotate(photos=Count("dataset"))
        .order_by("name")
    )
    for character in characters:
        character.licensing_problems = services.creator_problems(character)
    form = CreatorForm(request.POST or None, characters=characters, initial={"display_name": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        character = character_or_404(request.org, form.cleaned_data["character"])
        try:
            services.creator_create(
                org=request.org,
                user=request.user,
                character=character,
                display_name=form.cleaned_data["display_name"],
                bio=form.cleaned_data["bio"],
                consents=form.consents(),
                terms=form.terms(),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "You're a creator. Set up payouts next: you're listed once Stripe confirms them.")
            return redirect("licensing:creator_dashboard", request.org.slug)
    return render(
        request,
        "licensing/creator_new.html",
        {"form": form, "characters": characters, "consent_version": services.CONSENT_VERSION},
    )


@require_GET
@org_view()
def dashboard(request: OrgHttpRequest) -> HttpResponse:
    profiles = list(CreatorProfile.objects.for_org(request.org).select_related("character"))
    if not profiles:
        return render(request, "licensing/dashboard_empty.html", {})
    rows = []
    for profile in profiles:
        rows.append(
            {
                "profile": profile,
                "terms": profile.current_terms(),
                "terms_form": TermsForm(initial=profile.current_terms().snapshot()),
                "profile_form": ProfileForm(
                    initial={
                        "display_name": profile.display_name,
                        "bio": profile.bio,
                        "listed": profile.listed,
                        "auto_approve": profile.auto_approve,
                    }
                ),
                "listing_problems": services.listing_problems(profile),
                "licences": profile.licenses.select_related("org").order_by("-created_at"),
                "months": selectors.licensee_months(profile),
                "balance": payouts.balance(profile),
                "statement": payouts.statement(profile),
                "samples": selectors.sample_urls(profile),
            }
        )
    return render(request, "licensing/dashboard.html", {"rows": rows, "revoke_form": RevokeForm()})


def _dashboard(request: OrgHttpRequest) -> HttpResponse:
    return redirect("licensing:creator_dashboard", request.org.slug)


@require_POST
@org_view(Role.ADMIN)
def profile_update(request: OrgHttpRequest, public_id) -> HttpResponse:
    profile = selectors.own_profile(request.org, public_id)
    form = ProfileForm(request.POST)
    if form.is_valid():
        CreatorProfile.objects.filter(pk=profile.pk).update(**form.cleaned_data)
        messages.success(request, "Profile saved.")
    else:
        messages.error(
            request, "The profile wasn't saved: " + " ".join(str(e) for errs in form.errors.values() for e in errs)
        )
    return _dashboard(request)


@require_POST
@org_view(Role.ADMIN)
def terms_update(request: OrgHttpRequest, public_id) -> HttpResponse:
    profile = selectors.own_profile(request.org, public_id)
    form = TermsForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "The terms weren't changed: " + " ".join(str(e) for errs in form.errors.values() for e in errs)
        )
        return _dashboard(request)
    try:
        terms = services.terms_change(profile=profile, user=request.user, terms=form.terms())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Terms v{terms.version} apply to licences granted from now on.")
    return _dashboard(request)


@require_http_methods(["GET", "POST"])
@org_view(Role.ADMIN)
def payouts_setup(request: OrgHttpRequest, public_id) -> HttpResponse:
    """Off to Stripe's onboarding (POST from the dashboard; GET when Stripe sends the person back
    for a fresh link, the refresh URL)."""
    profile = selectors.own_profile(request.org, public_id)
    dashboard_url = request.build_absolute_uri(reverse("licensing:creator_dashboard", args=[request.org.slug]))
    refresh = request.build_absolute_uri(reverse("licensing:payouts_setup", args=[request.org.slug, profile.public_id]))
    try:
        url = services.connect_link(
            profile=profile, return_url=dashboard_url + "?payouts=returned", refresh_url=refresh
        )
    except Exception as exc:  # Stripe unreachable or refusing: say so on the dashboard
        messages.error(request, f"Stripe couldn't start payout setup just now ({exc}). Try again in a minute.")
        return _dashboard(request)
    return redirect(url)


@require_POST
@org_view(Role.ADMIN)
def payout_now(request: OrgHttpRequest, public_id) -> HttpResponse:
    profile = selectors.own_profile(request.org, public_id)
    if not profile.payouts_enabled:
        messages.error(request, "Set up payouts first: Stripe hasn't confirmed your account yet.")
        return _dashboard(request)
    payout = payouts.payout_now(profile=profile)
    if payout is None:
        messages.info(
            request, "Nothing to pay out now: no whole cent is owed, or this month's payout was already made."
        )
    elif payout.status == payout.Status.PAID:
        messages.success(request, f"${payout.amount} is on its way to your Stripe account.")
    else:
        messages.error(
            request, f"Stripe refused the transfer ({payout.error}). It will be tried again; nothing is lost."
        )
    return _dashboard(request)


@require_POST
@org_view(Role.ADMIN)
def licence_answer(request: OrgHttpRequest, public_id, answer: str) -> HttpResponse:
    if answer not in {"approve", "decline", "revoke"}:
        raise Http404
    licence = selectors.licence_of_creator(request.org, public_id)
    try:
        if answer == "approve":
            services.licence_approve(licence=licence, user=request.user)
            messages.success(request, f"{licence.org.name}'s licence is active.")
        elif answer == "decline":
            services.licence_decline(licence=licence, user=request.user)
            messages.success(request, f"{licence.org.name}'s request was declined.")
        else:
            form = RevokeForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            stopped = services.licence_revoke(licence=licence, user=request.user, reason=reason)
            extra = (
                f" {stopped} image{'s' if stopped != 1 else ''} in progress were stopped and refunded."
                if stopped
                else ""
            )
            messages.success(request, f"{licence.org.name}'s licence is revoked.{extra}")
    except DomainError as exc:
        messages.error(request, exc.message)
    return _dashboard(request)
