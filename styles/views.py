"""Style recipe pages: extract a style from a library image, the list of the org's styles, and a
recipe's page (edit it, watch it being extracted, use it in the Studio, delete it)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors as asset_selectors
from billing.prices import operation_credits
from billing.services import credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from orgs.decorators import ROLE_DENIED_MESSAGES, org_view
from orgs.models import Role
from styles import selectors, services
from styles.forms import StyleForm
from styles.models import StyleRecipe

DETAIL = "styles/detail.html"


@require_POST
@org_view(Role.MEMBER)
def extract(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    try:
        style = services.style_extract(org=request.org, user=request.user, asset=asset, key=one_time_key(request))
    except DomainError as exc:
        messages.error(request, f"{exc.message} Nothing was charged.")
        return redirect("assets:detail", request.org.slug, asset.public_id)
    return redirect("styles:detail", request.org.slug, style.public_id)


@require_POST
@org_view(Role.MEMBER)
def extract_many(request: OrgHttpRequest):
    """The library's selection bar: a style from each selected image."""
    assets = selectors.selected_assets(request.org, request.POST.get("ids", ""))
    try:
        started, skipped = services.styles_extract_many(
            org=request.org, user=request.user, assets=assets, key=one_time_key(request)
        )
    except DomainError as exc:
        messages.error(request, f"{exc.message} Nothing was started.")
        return redirect("assets:library", request.org.slug)
    words = f"Extracting {len(started)} style{'s' if len(started) != 1 else ''}, 1 credit each."
    if skipped:
        words += f" {skipped} selected item{'s' if skipped != 1 else ''} that aren't images were skipped."
    messages.success(request, words)
    return redirect("styles:list", request.org.slug)


@require_GET
@org_view()
def styles(request: OrgHttpRequest):
    page = Paginator(selectors.styles_list(request.org), 24).get_page(request.GET.get("page"))
    return render(request, "styles/list.html", {"page": page, "price": operation_credits(services.OPERATION)})


def _detail_context(request: OrgHttpRequest, style: StyleRecipe, form: StyleForm | None = None) -> dict:
    return {
        "style": style,
        "form": form or StyleForm.for_style(style),
        "price": operation_credits(services.OPERATION),
        "available": credits_available(request.org),
        "can_create": request.membership.can_create,
        "max_asks": services.MAX_ASKS,
    }


@require_http_methods(["GET", "POST"])
@org_view()
def detail(request: OrgHttpRequest, public_id):
    style = selectors.style_or_404(request.org, public_id)
    if request.method == "GET":
        return render(request, DETAIL, _detail_context(request, style))
    if not request.membership.can_create:
        messages.error(request, ROLE_DENIED_MESSAGES[Role.MEMBER])
        return redirect(style)
    form = StyleForm(request.POST)
    if form.is_valid():
        try:
            services.style_update(style=style, user=request.user, name=form.cleaned_data["name"], words=form.words())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Style saved. Packs made with it from now on use these words.")
            return redirect(style)
    return render(request, DETAIL, _detail_context(request, style, form), status=400)


@require_GET
@org_view()
def status(request: OrgHttpRequest, public_id):
    """The recipe region, polled while the style is being extracted; once it has ended, 286 stops
    the polling and the page reloads once (its palette, badges and actions depend on the result)."""
    style = selectors.style_or_404(request.org, public_id)
    response = render(request, f"{DETAIL}#style-recipe", _detail_context(request, style))
    if not style.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        response["HX-Refresh"] = "true"
    return response


@require_POST
@org_view(Role.MEMBER)
def studio(request: OrgHttpRequest, public_id):
    """ "Use in Studio" (then on to pick a character), or take the style out of the Studio."""
    style = selectors.style_or_404(request.org, public_id)
    offered = request.POST.get("offered", "1") != "0"
    try:
        services.style_studio_set(style=style, offered=offered)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(style)
    if not offered:
        messages.success(request, f"“{style.name}” is no longer offered in the Studio.")
        return redirect(style)
    messages.success(request, f"“{style.name}” is in the Studio under Your styles. Pick a character to use it with.")
    return redirect(
        reverse("generation:studio_home", args=[request.org.slug]) + "?" + urlencode({"style": style.public_id})
    )


@require_POST
@org_view(Role.MEMBER)
def delete(request: OrgHttpRequest, public_id):
    style = selectors.style_or_404(request.org, public_id)
    try:
        services.style_delete(style=style)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(style)
    messages.success(request, f"Deleted “{style.name}”. Packs made with it keep their recipe.")
    return redirect("styles:list", request.org.slug)
