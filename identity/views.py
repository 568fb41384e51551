"""Identity pages: "generate until N keepers" (form, run, status, cancel), an asset's likeness and
lineage (a section of the asset page, loaded from here, and a re-run), a character's drift chart
and LoRA versions, and computing an identity reference on request."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors as asset_selectors
from billing.selectors import credit_summary
from characters.selectors import character_or_404
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from identity import keepers, lineage, reruns, selectors, services
from identity.forms import KeepersForm, RerunForm
from orgs.decorators import org_view
from orgs.models import Role

# --- Generate until N keepers ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view()
def keepers_new(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    default = keepers.default_threshold(character)
    price = keepers.packs.price_per_image("draft")
    form = KeepersForm(initial={"threshold": default.value, "budget": price * 3 * 3})
    refusal = None
    if request.method == "POST":
        if not request.membership.can_create:
            messages.error(request, "Viewers can't start jobs; ask an owner or admin for the member role.")
            return redirect("identity:keepers_new", request.org.slug, character.public_id)
        form = KeepersForm(request.POST)
        if form.is_valid():
            ask = form.ask()
            note = default.note if ask.threshold == default.value else "chosen by hand"
            try:
                run = keepers.keepers_start(
                    character=character, user=request.user, ask=ask, threshold_note=note, key=one_time_key(request)
                )
            except DomainError as exc:
                if exc.field and exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    refusal = exc.message
            else:
                return redirect(run.get_absolute_url())
    else:
        ask = keepers.KeepersAsk(wanted=3, threshold=default.value, budget=price * 9, recipe=keepers.packs.PackRecipe())
        if problem := keepers.refusal(character, ask):
            refusal = problem.message if problem.field in ("identity", "wanted") else None
    return render(
        request,
        "identity/keepers_new.html",
        {
            "character": character,
            "form": form,
            "default": default,
            "refusal": refusal,
            "prices": {q: keepers.packs.price_per_image(q) for q in ("draft", "hq")},
            "credits": credit_summary(request.org),
            "runs": selectors.keepers_for_character(character),
        },
    )


@require_GET
@org_view()
def keepers_run(request: OrgHttpRequest, public_id):
    run = selectors.keepers_or_404(request.org, public_id)
    return render(request, "identity/keepers.html", _run_context(run))


def _run_context(run) -> dict:
    images = keepers.run_images(run)
    kept = [i for i in images if keepers.is_keeper(i, run.threshold)]
    rejected = [i for i in images if i not in kept]
    return {"run": run, "kept": kept, "rejected": rejected, "images": images}


@require_GET
@org_view()
def keepers_status(request: OrgHttpRequest, public_id):
    """The run's live region, polled while it runs; 286 stops the polling once it ends."""
    run = selectors.keepers_or_404(request.org, public_id)
    response = render(request, "identity/keepers.html#keepers-live", _run_context(run))
    if not run.is_active:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
@org_view(Role.MEMBER)
def keepers_cancel(request: OrgHttpRequest, public_id):
    run = selectors.keepers_or_404(request.org, public_id)
    try:
        keepers.keepers_cancel(run=run, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Stopped. Images already made are kept and charged; the rest of the budget is back.")
    return redirect(run.get_absolute_url())


# --- Assets: likeness, lineage, re-run -----------------------------------------------------------


@require_GET
@org_view()
def asset_identity(request: OrgHttpRequest, public_id):
    """The asset page's likeness and lineage sections (loaded into it)."""
    asset = asset_selectors.asset_or_404(request.org, public_id)
    return render(
        request,
        "identity/_asset_identity.html",
        {
            "asset": asset,
            "graph": lineage.asset_lineage(asset),
            "rerun_problem": reruns.rerun_problem(asset),
            "form": RerunForm(),
            "versions": lineage.org_training_runs(request.org, asset.character) if asset.character else [],
        },
    )


@require_GET
@org_view()
def asset_lineage(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    return render(
        request,
        "identity/lineage.html",
        {
            "asset": asset,
            "graph": lineage.asset_lineage(asset),
            "rerun_problem": reruns.rerun_problem(asset),
            "form": RerunForm(),
            "versions": lineage.org_training_runs(request.org, asset.character) if asset.character else [],
        },
    )


@require_POST
@org_view(Role.MEMBER)
def asset_rerun(request: OrgHttpRequest, public_id):
    asset = asset_selectors.asset_or_404(request.org, public_id)
    form = RerunForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    changes = reruns.RerunChanges(
        new_seed=data.get("seed") == "new", scene=data.get("scene") or "", lora_run=data.get("lora") or ""
    )
    try:
        job = reruns.node_rerun(asset=asset, user=request.user, changes=changes, key=one_time_key(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("identity:asset_lineage", request.org.slug, asset.public_id)
    messages.success(request, "Making it again: the new result appears beside this one in the lineage.")
    return redirect(job.get_absolute_url())  # type: ignore[attr-defined]  # every concrete job has one


# --- Characters: drift chart, LoRA versions, identity reference ------------------------------------


@require_GET
@org_view()
def character_identity(request: OrgHttpRequest, public_id):
    """The character page's likeness-over-time and lineage sections (loaded into it)."""
    character = character_or_404(request.org, public_id)
    return render(
        request,
        "identity/_character_identity.html",
        {
            "character": character,
            "drift": selectors.drift(character),
            "versions": lineage.character_lineage(character),
            "runs": selectors.keepers_for_character(character),
        },
    )


@require_POST
@org_view(Role.MEMBER)
def reference_compute(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    try:
        used = services.reference_compute(character=character)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{character.name}'s identity reference was computed from {used} photo{'s' if used != 1 else ''}; "
            "their images are being scored against it.",
        )
    back = request.POST.get("next", "")
    if back == "keepers":
        return redirect("identity:keepers_new", request.org.slug, character.public_id)
    return redirect("characters:detail", request.org.slug, character.public_id)
