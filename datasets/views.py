"""The dataset builder's pages: start a build (or import a kohya zip), add face and body photos,
see the plan and its cost, run / cancel / resume, watch progress, review, export and hand over.

Every action is a plain form POST that redirects back to the build page with a message; the
progress region polls while a run is active (HTMX) and stops when it ends.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import media
from assets.services import uploaded_file_path
from billing.services import credits_available
from characters.rules import BUCKETS, MAX_IMAGES, MIN_IMAGES
from characters.services import characters_remaining
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from core.network import client_ip
from datasets import forms, kohya, rules, selectors, services
from datasets.models import DatasetBuild, TargetPhoto
from orgs.decorators import org_view
from orgs.models import Role

TEMPLATE = "datasets/build.html"


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def build_new(request: OrgHttpRequest):
    form = forms.BuildForm(request.POST or None, prefix="new")
    import_form = forms.ImportForm(prefix="zip")
    if request.method == "POST" and form.is_valid():
        try:
            build = services.build_create(
                org=request.org,
                user=request.user,
                name=form.cleaned_data["name"],
                gender=form.cleaned_data["gender"],
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except DomainError as exc:
            form.add_error("name" if exc.field == "name" else None, exc.message)
        else:
            messages.success(request, "Consent recorded. Now add 3–10 face photos and 10–40 body photos.")
            return redirect(build)
    return _new_page(request, form, import_form)


def _new_page(request, form, import_form):
    return render(
        request,
        "datasets/new.html",
        {
            "form": form,
            "import_form": import_form,
            "remaining": characters_remaining(request.org),
            "per_photo": rules.steps_credits(rules.STEPS),
            "rules": rules,
        },
        status=400 if form.errors or import_form.errors else 200,
    )


@require_POST
@org_view(Role.MEMBER)
def build_import(request: OrgHttpRequest):
    form = forms.BuildForm(prefix="new")
    # An empty POST (nothing filled in) shows the page again, as the New form does.
    import_form = forms.ImportForm(request.POST or None, request.FILES or None, prefix="zip")
    if import_form.is_valid():
        upload = import_form.cleaned_data["file"]
        try:
            with uploaded_file_path(upload) as path:
                build = kohya.import_zip(
                    org=request.org,
                    user=request.user,
                    name=import_form.cleaned_data["name"],
                    upload_path=path,
                    ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                )
        except DomainError as exc:
            import_form.add_error(None, f"{exc.message} Nothing was imported.")
        else:
            messages.success(
                request, f"Imported {build.targets.count()} images with their captions. Review them below."
            )
            return redirect(build)
    return _new_page(request, form, import_form)


def _context(request: OrgHttpRequest, build: DatasetBuild) -> dict:
    board = selectors.board(build)
    page_key = uuid.uuid4()
    for row in board:
        row["key"] = str(uuid.uuid5(page_key, str(row["target"].public_id)))
    chosen = [row for row in board if row["target"].review == TargetPhoto.Review.ACCEPTED]
    counts = {b.key: sum(1 for row in chosen if row["target"].bucket == b.key) for b in BUCKETS}
    return {
        "build": build,
        "character": build.character,
        "sources": list(build.sources.select_related("asset")),
        "board": board,
        "plan": services.plan(build),
        "run": selectors.active_run(build),
        "runs": list(build.runs.order_by("-created_at")[:5]),
        "available": credits_available(request.org),
        "rules": rules,
        "buckets": BUCKETS,
        "accepted": len(chosen),
        "bucket_counts": counts,
        "min_images": MIN_IMAGES,
        "max_images": MAX_IMAGES,
        "can_create": request.membership.can_create,
        "page_key": str(page_key),
        "per_photo": rules.steps_credits(rules.STEPS),
        "results": sum(1 for row in board if row["target"].result_id),
    }


@require_GET
@org_view()
def build_detail(request: OrgHttpRequest, public_id):
    build = selectors.build_or_404(request.org, public_id)
    return render(request, TEMPLATE, _context(request, build))


@require_GET
@org_view()
def build_progress(request: OrgHttpRequest, public_id):
    build = selectors.build_or_404(request.org, public_id)
    context = _context(request, build)
    response = render(request, f"{TEMPLATE}#build-progress", context)
    if context["run"] is None:
        # The run ended: reload the whole page so the review board shows the results.
        response = HttpResponseStopPolling()
        response["HX-Refresh"] = "true"
    return response


def _back(build: DatasetBuild, anchor: str = "") -> HttpResponse:
    return redirect(build.get_absolute_url() + (f"#{anchor}" if anchor else ""))


@require_POST
@org_view(Role.MEMBER)
def photos_upload(request: OrgHttpRequest, public_id, role: str):
    build = selectors.build_or_404(request.org, public_id)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, "No file arrived. Choose photos and try again.")
        return _back(build, role)
    add = services.source_add if role == "source" else services.target_add
    added, flagged = 0, 0
    for upload in files:
        try:
            with uploaded_file_path(upload) as path:
                photo = add(build=build, user=request.user, path=path, filename=upload.name or "photo")
        except (DomainError, media.MediaError) as exc:
            messages.error(request, f"“{upload.name}”: {exc.message}")
            continue
        added += 1
        if photo.problem:
            flagged += 1
    if added:
        what = "face photo" if role == "source" else "body photo"
        words = f"Added {added} {what}{'s' if added != 1 else ''}."
        if flagged:
            words += f" {flagged} can't be used as they are: see the note on each."
        messages.success(request, words)
    return _back(build, role)


@require_POST
@org_view(Role.MEMBER)
def source_remove(request: OrgHttpRequest, public_id, source_id):
    build = selectors.build_or_404(request.org, public_id)
    return _remove(request, build, selectors.source_or_404(build, source_id), "source")


@require_POST
@org_view(Role.MEMBER)
def target_remove(request: OrgHttpRequest, public_id, target_id):
    build = selectors.build_or_404(request.org, public_id)
    return _remove(request, build, selectors.target_or_404(build, target_id), "target")


def _remove(request: OrgHttpRequest, build: DatasetBuild, photo, role: str) -> HttpResponse:
    try:
        services.photo_remove(build=build, photo=photo)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Photo removed.")
    return _back(build, role)


@require_POST
@org_view(Role.MEMBER)
def run_start(request: OrgHttpRequest, public_id):
    build = selectors.build_or_404(request.org, public_id)
    try:
        run = services.run_start(build=build, user=request.user, key=one_time_key(request))
    except DomainError as exc:
        messages.error(request, f"{exc.message} Nothing was charged.")
        return _back(build, "plan")
    messages.success(request, f"Started: {run.units.count()} steps, {run.credits:,} credits held until they finish.")
    return _back(build, "progress")


@require_POST
@org_view(Role.MEMBER)
def run_cancel(request: OrgHttpRequest, public_id, build_run_id):
    build = selectors.build_or_404(request.org, public_id)
    run = selectors.run_or_404(build, build_run_id)
    services.run_cancel(run=run, user=request.user)
    messages.success(request, "Cancelled. The steps that hadn't finished were stopped and their credits returned.")
    return _back(build, "progress")


@require_POST
@org_view(Role.MEMBER)
def target_redo(request: OrgHttpRequest, public_id, target_id):
    build = selectors.build_or_404(request.org, public_id)
    target = selectors.target_or_404(build, target_id)
    try:
        services.redo(target=target, user=request.user, key=one_time_key(request))
    except DomainError as exc:
        messages.error(request, f"{exc.message} Nothing was charged.")
    else:
        messages.success(request, f"Making photo {target.number} again with another seed and face photo.")
    return _back(build, f"t-{target.public_id}")


@require_POST
@org_view(Role.MEMBER)
def target_review(request: OrgHttpRequest, public_id, target_id):
    """Accept / reject, the bucket and the caption of one result (one form, any of them)."""
    build = selectors.build_or_404(request.org, public_id)
    target = selectors.target_or_404(build, target_id)
    try:
        if review := request.POST.get("review"):
            services.review_set(target=target, review=review)
        if bucket := request.POST.get("bucket"):
            services.bucket_set(target=target, bucket=bucket)
        if "caption" in request.POST:
            services.caption_edit(target=target, text=request.POST["caption"], user=request.user)
    except DomainError as exc:
        messages.error(request, f"Photo {target.number}: {exc.message}")
    return _back(build, f"t-{target.public_id}")


@require_POST
@org_view(Role.MEMBER)
def accept_all(request: OrgHttpRequest, public_id):
    """Accept every result that hasn't drifted and isn't rejected."""
    build = selectors.build_or_404(request.org, public_id)
    count = 0
    for target in build.targets.filter(result__isnull=False, review=TargetPhoto.Review.PENDING):
        if target.identity is None or target.identity >= rules.DRIFT_SCORE:
            services.review_set(target=target, review=TargetPhoto.Review.ACCEPTED)
            count += 1
    messages.success(request, f"Accepted {count} result{'s' if count != 1 else ''} that kept the face.")
    return _back(build, "review")


@require_POST
@org_view(Role.MEMBER)
def hand_over(request: OrgHttpRequest, public_id):
    build = selectors.build_or_404(request.org, public_id)
    try:
        count = services.hand_over(build=build, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(build, "review")
    messages.success(request, f"{count} photos are now {build.character.name}'s dataset. Run the check, then train.")
    return redirect("characters:dataset", request.org.slug, build.character.public_id)


@require_GET
@org_view()
def export(request: OrgHttpRequest, public_id):
    build = selectors.build_or_404(request.org, public_id)
    try:
        data = kohya.export_zip(build)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(build, "review")
    response = HttpResponse(data, content_type="application/zip")
    name = slugify(build.character.name) or "dataset"
    response["Content-Disposition"] = f'attachment; filename="{name}-kohya.zip"'
    return response
