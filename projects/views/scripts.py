"""Scripts and breakdowns: upload (text read and checked), the script's page with the cost shown
before anything starts, the breakdown's page (tabs, sorting, export, "create a character from
this"), and its status while it runs."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from billing.services import credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from orgs.decorators import org_view
from orgs.models import Role
from projects import breakdown_answer, breakdowns, export, selectors, services
from projects.forms import ScriptUploadForm
from projects.views.projects import workspace_context

SORTS = {
    "scenes": {"number": "number", "heading": "heading", "pages": "page_start", "time": "time_of_day"},
    "characters": {"name": "name", "scenes": "scenes"},
    "props": {"name": "name", "scenes": "scenes"},
    "locations": {"name": "name", "scenes": "scenes"},
    "costumes": {"name": "name", "character": "character", "scenes": "scenes"},
}


@require_POST
@org_view(Role.MEMBER)
def script_upload(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    form = ScriptUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            script = services.script_upload(
                project=project,
                user=request.user,
                filename=upload.name,
                data=upload.read(),
                title=form.cleaned_data["title"],
            )
        except DomainError as exc:
            form.add_error("file" if exc.field in (None, "file") else None, exc.message)
        else:
            messages.success(
                request, f"“{script.title}” is uploaded ({script.pages} pages). Check the cost and break it down."
            )
            return redirect(script)
    return render(request, "projects/detail.html", workspace_context(request, project, upload_form=form), status=400)


@require_GET
@org_view()
def script_detail(request: OrgHttpRequest, public_id, script_id):
    project = selectors.project_or_404(request.org, public_id)
    script = selectors.script_or_404(project, script_id)
    estimate = breakdowns.estimate(script)
    return render(
        request,
        "projects/script.html",
        {
            "project": project,
            "script": script,
            "estimate": estimate,
            "available": credits_available(request.org),
            "cached": script.breakdowns.model.objects.filter(
                org=request.org, script__sha256=script.sha256, status="succeeded"
            ).exists(),
            "breakdowns": list(script.breakdowns.all()),
            "preview": script.text[:3000],
            "can_create": request.membership.can_create,
            "included_tokens": breakdowns.INCLUDED_TOKENS,
            "extra_tokens": breakdowns.EXTRA_TOKENS,
            "extra_credits": breakdowns.EXTRA_CREDITS,
        },
    )


@require_POST
@org_view(Role.MEMBER)
def breakdown_start(request: OrgHttpRequest, public_id, script_id):
    project = selectors.project_or_404(request.org, public_id)
    script = selectors.script_or_404(project, script_id)
    try:
        job = breakdowns.breakdown_start(script=script, user=request.user, key=one_time_key(request))
    except DomainError as exc:
        messages.error(request, f"{exc.message} Nothing was charged.")
        return redirect(script)
    return redirect(job)


@require_POST
@org_view(Role.MEMBER)
def script_delete(request: OrgHttpRequest, public_id, script_id):
    project = selectors.project_or_404(request.org, public_id)
    script = selectors.script_or_404(project, script_id)
    try:
        services.script_delete(script=script)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(script)
    messages.success(request, f"Deleted “{script.title}” and its breakdowns.")
    return redirect(project)


def _sorted(rows: list[dict], tab: str, sort: str) -> list[dict]:
    field = SORTS[tab].get(sort.lstrip("-"))
    if not field:
        return rows
    reverse_ = sort.startswith("-")

    def key(row):
        value = row.get(field)
        if isinstance(value, list):
            return len(value)
        return value.lower() if isinstance(value, str) else (value or 0)

    return sorted(rows, key=key, reverse=reverse_)


def _character_link(request: OrgHttpRequest, row: dict) -> str:
    """The character wizard, pre-filled from a breakdown character's name and description."""
    description = row.get("description", "")
    words = description.lower()
    params = {"name": row["name"][:80], "notes": description[:1000]}
    if re.search(r"\b(she|her|woman|girl|mother|wife|queen|actress)\b", words):
        params["gender"] = "female"
    elif re.search(r"\b(he|his|him|man|father|husband|king|actor)\b", words):
        params["gender"] = "male"
    if age := re.search(r"\b([2-7]\d)s?\b", description):
        params["age"] = age.group(1)
    return reverse("characters:wizard", args=[request.org.slug]) + "?" + urlencode(params)


def _breakdown_context(request: OrgHttpRequest, project, job) -> dict:
    tab = request.GET.get("tab", "scenes")
    if tab not in breakdown_answer.TABS:
        tab = "scenes"
    sort = request.GET.get("sort", "")
    rows = _sorted(list((job.result or {}).get(tab, [])), tab, sort)
    if tab == "characters":
        rows = [{**row, "wizard_url": _character_link(request, row)} for row in rows]
    return {
        "project": project,
        "job": job,
        "tab": tab,
        "tabs": [(t, t.title(), len((job.result or {}).get(t, []))) for t in breakdown_answer.TABS],
        "rows": rows,
        "sort": sort,
        "sorts": SORTS[tab],
        "can_create": request.membership.can_create,
        "max_asks": breakdowns.MAX_ASKS,
    }


@require_GET
@org_view()
def breakdown_detail(request: OrgHttpRequest, public_id, breakdown_id):
    project = selectors.project_or_404(request.org, public_id)
    job = selectors.breakdown_or_404(project, breakdown_id)
    return render(request, "projects/breakdown.html", _breakdown_context(request, project, job))


@require_GET
@org_view()
def breakdown_status(request: OrgHttpRequest, public_id, breakdown_id):
    project = selectors.project_or_404(request.org, public_id)
    job = selectors.breakdown_or_404(project, breakdown_id)
    response = render(request, "projects/breakdown.html#breakdown-progress", _breakdown_context(request, project, job))
    if not job.is_active:
        response.status_code = HttpResponseStopPolling.status_code
        response["HX-Refresh"] = "true"
    return response


@require_GET
@org_view()
def breakdown_export(request: OrgHttpRequest, public_id, breakdown_id, fmt):
    project = selectors.project_or_404(request.org, public_id)
    job = selectors.breakdown_or_404(project, breakdown_id)
    if job.status != "succeeded":
        messages.error(request, "This breakdown has no results to export.")
        return redirect(job)
    stem = re.sub(r"[^\w\-]+", "_", job.script.title).strip("_") or "breakdown"
    if fmt == "json":
        response = HttpResponse(json.dumps(job.result, indent=2, ensure_ascii=False), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{stem}-breakdown.json"'
        return response
    tab = request.GET.get("tab", "scenes")
    if tab not in breakdown_answer.TABS:
        tab = "scenes"
    response = HttpResponse(export.breakdown_csv(job, tab), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{tab}.csv"'
    return response
