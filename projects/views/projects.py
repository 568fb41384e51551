"""Project pages: the list, create, the workspace, rename, archive, delete (with what goes), the
zip, and linking library items and characters."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assets.models import Asset
from characters.models import Character
from core.exceptions import DomainError
from core.http import OrgHttpRequest
from core.lookups import one_or_404
from orgs.decorators import org_view
from orgs.models import Role
from projects import chat, export, selectors, services
from projects.forms import DeleteForm, ProjectForm, ScriptUploadForm
from projects.script_files import MAX_BYTES, MAX_PAGES
from styles.selectors import selected_assets


@require_GET
@org_view()
def project_list(request: OrgHttpRequest):
    archived = request.GET.get("archived") == "1"
    return render(
        request,
        "projects/list.html",
        {
            "projects": selectors.projects_list(request.org, archived=archived),
            "archived": archived,
            "form": ProjectForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def project_new(request: OrgHttpRequest):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(org=request.org, user=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"Project “{project.name}” created. Upload a script or add items from the library."
            )
            return redirect(project)
    return render(request, "projects/new.html", {"form": form}, status=400 if form.errors else 200)


def workspace_context(request: OrgHttpRequest, project, **extra) -> dict:
    return {
        "project": project,
        "scripts": selectors.project_scripts(project),
        "breakdowns": selectors.project_breakdowns(project),
        "assets": selectors.project_assets(project),
        "recent_assets": selectors.assets_to_add(project),
        "characters": selectors.project_characters(project),
        "all_characters": Character.objects.for_org(request.org)
        .exclude(project_links__project=project)
        .order_by("name")[:200],
        "messages_count": project.chat_messages.count(),
        "timeline": selectors.project_timeline(project),
        "jobs": selectors.project_jobs(project)[:10],
        "upload_form": extra.pop("upload_form", None) or ScriptUploadForm(),
        "edit_form": ProjectForm(initial={"name": project.name, "description": project.description}),
        "max_mb": MAX_BYTES // (1024 * 1024),
        "max_pages": MAX_PAGES,
        "suggestions": chat.SUGGESTIONS,
        "can_create": request.membership.can_create,
        **extra,
    }


@require_GET
@org_view()
def project_detail(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    return render(request, "projects/detail.html", workspace_context(request, project))


@require_POST
@org_view(Role.MEMBER)
def project_edit(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    form = ProjectForm(request.POST)
    if form.is_valid():
        try:
            services.project_update(project=project, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Project saved.")
    else:
        messages.error(request, "Give the project a name (at most 120 characters).")
    return redirect(project)


@require_POST
@org_view(Role.MEMBER)
def project_archive(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    archived = request.POST.get("archived", "1") == "1"
    services.project_archive(project=project, archived=archived)
    messages.success(
        request,
        f"“{project.name}” is archived: it's read-only and listed under Archived."
        if archived
        else f"“{project.name}” is restored.",
    )
    return redirect(project)


@require_http_methods(["GET", "POST"])
@org_view(Role.ADMIN)
def project_delete(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_delete(project=project, user=request.user, confirm_name=form.cleaned_data["confirm_name"])
        except DomainError as exc:
            form.add_error("confirm_name" if exc.field == "confirm_name" else None, exc.message)
        else:
            messages.success(request, f"Deleted the project “{project.name}” and what only it held.")
            return redirect("projects:list", request.org.slug)
    plan = services.project_delete_plan(project)
    return render(
        request,
        "projects/delete.html",
        {"project": project, "plan": plan, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
@org_view()
def project_download(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    name = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in project.name).strip() or "project"
    return FileResponse(
        export.project_zip(project), as_attachment=True, filename=f"{name}.zip", content_type="application/zip"
    )


@require_POST
@org_view(Role.MEMBER)
def project_assets_add(request: OrgHttpRequest, public_id):
    """From the library's selection (or an item's page): link the items to the project."""
    project = selectors.project_or_404(request.org, public_id)
    assets = selected_assets(request.org, ",".join(request.POST.getlist("ids")))
    try:
        added = services.project_assets_add(project=project, assets=assets)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Added {added} item{'s' if added != 1 else ''} to “{project.name}”.")
    return redirect(project)


@require_POST
@org_view(Role.MEMBER)
def project_asset_remove(request: OrgHttpRequest, public_id, asset_id):
    project = selectors.project_or_404(request.org, public_id)
    asset = one_or_404(Asset.objects.for_org(request.org), asset_id)
    services.project_asset_remove(project=project, asset=asset)
    messages.success(request, f"“{asset.title}” is no longer in this project (it stays in the library).")
    return redirect(project)


@require_POST
@org_view(Role.MEMBER)
def project_character_add(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    character = one_or_404(Character.objects.for_org(request.org), request.POST.get("character", ""))
    try:
        services.project_character_add(project=project, character=character)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{character.name} is in “{project.name}”.")
    return redirect(project)


@require_POST
@org_view(Role.MEMBER)
def project_character_remove(request: OrgHttpRequest, public_id, character_id):
    project = selectors.project_or_404(request.org, public_id)
    character = one_or_404(Character.objects.for_org(request.org), character_id)
    services.project_character_remove(project=project, character=character)
    messages.success(request, f"{character.name} is no longer in this project.")
    return redirect(project)
