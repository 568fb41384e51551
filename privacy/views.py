"""Settings → Data & privacy (export everything, delete the organisation), the export's download
link, and deleting one's own account."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import storage
from audit import selectors as audit_selectors
from core.exceptions import DomainError
from core.htmx import render_page
from core.http import AuthenticatedHttpRequest, OrgHttpRequest
from core.refusals import refusals_as_messages
from orgs.decorators import ROLE_DENIED_MESSAGES, org_view
from orgs.models import Role
from orgs.selectors import membership_for
from privacy import deletion, exports, selectors
from privacy.forms import AccountDeleteForm, OrgDeleteForm
from privacy.models import DataExport


def _export_context(export: DataExport | None) -> dict:
    ready = export is not None and export.status == DataExport.Status.READY
    return {
        "export": export,
        "download_token": exports.download_token(export) if export is not None and ready else "",
        "export_days": settings.DATA_EXPORT_TTL_DAYS,
    }


def _page(request: OrgHttpRequest, *, delete_form=None, status=200) -> HttpResponse:
    org = request.org
    return render_page(
        request,
        "privacy/privacy.html",
        {
            **_export_context(selectors.latest_export(org)),
            "running": selectors.running_jobs(org) if request.membership.is_owner else [],
            "delete_form": delete_form or OrgDeleteForm(),
            "grace_days": settings.ORG_DELETION_GRACE_DAYS,
            "failed_job_days": settings.FAILED_JOB_RETENTION_DAYS,
            "audit_days": settings.AUDIT_LOG_RETENTION_DAYS,
        },
        partials=("export-card",),
        status=status,
    )


@require_GET
@org_view()
def privacy(request: OrgHttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@org_view(Role.OWNER, while_deleting=True)
def data_export_create(request: OrgHttpRequest) -> HttpResponse:
    with refusals_as_messages(request):
        _export, created = exports.export_request(actor=request.membership)
        if created:
            messages.success(request, "Building the export. You can leave this page: we'll email you the link.")
        else:
            messages.info(request, "An export is already being built; here is its progress.")
    if request.htmx:
        return _page(request)
    return redirect("orgs:privacy", request.org.slug)


@require_GET
@org_view(Role.OWNER)
def data_export_status(request: OrgHttpRequest, public_id) -> HttpResponse:
    """The export card, polled while the zip is built; 286 stops the polling once it ends."""
    export = selectors.export_or_none(request.org, public_id)
    if export is None:
        raise Http404
    response = render(request, "privacy/privacy.html#export-card", _export_context(export))
    if not export.is_active:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
def export_download(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The emailed link: signed, valid for a week, and only for an owner of the organisation."""
    export = exports.export_for_token(token)
    if export is None:
        return render(request, "privacy/export_unavailable.html", {"reason": "invalid"}, status=410)
    membership = membership_for(request.user, export.org.slug)
    if membership is None:
        raise Http404
    if not membership.is_owner:
        raise PermissionDenied(ROLE_DENIED_MESSAGES[Role.OWNER])
    if export.status == DataExport.Status.EXPIRED or (export.expires_at and export.expires_at <= timezone.now()):
        return render(
            request,
            "privacy/export_unavailable.html",
            {"reason": "expired", "export": export, "days": settings.DATA_EXPORT_TTL_DAYS},
            status=410,
        )
    if export.status != DataExport.Status.READY:
        return render(request, "privacy/export_unavailable.html", {"reason": "not_ready", "export": export}, status=409)
    exports.export_downloaded(export=export, user=request.user)
    name = f"{export.org.slug}-all-data-{export.created_at:%Y%m%d}.zip"
    return redirect(storage.signed_url(export.org, export.key, download_name=name))


@require_POST
@org_view(Role.OWNER)
def org_delete(request: OrgHttpRequest) -> HttpResponse:
    form = OrgDeleteForm(request.POST)
    if form.is_valid():
        try:
            org = deletion.org_deletion_schedule(
                actor=request.membership, confirm_name=form.cleaned_data["confirm_name"]
            )
        except DomainError as exc:
            if not exc.field:  # not the typing but the state (jobs running): say so above the page
                messages.error(request, exc.message)
                return redirect("orgs:privacy", request.org.slug)
            form.add_error("confirm_name", exc.message)
        else:
            messages.success(
                request,
                f"{org.name} will be deleted on {deletion.day(org.deletion_due_at)}. Until then it is read-only, "
                "and any owner can undo this.",
            )
            return redirect("orgs:privacy", org.slug)
    return _page(request, delete_form=form, status=400)


@require_POST
def org_delete_undo(request: AuthenticatedHttpRequest, org_slug: str) -> HttpResponse:
    """Undo a scheduled deletion. Not behind ``org_view``: after the grace period the organisation
    is gone, and its members who come back to undo are told so in plain words, not with a 404."""
    membership = membership_for(request.user, org_slug)
    if membership is None:
        gone = audit_selectors.org_deleted_entry(slug=org_slug, user_id=request.user.pk)
        if gone is None:
            raise Http404("No organisation here, or you aren't a member of it.")
        return render(request, "privacy/org_gone.html", {"entry": gone}, status=410)
    if not membership.is_owner:
        raise PermissionDenied("Only an owner can undo the deletion.")
    try:
        org = deletion.org_deletion_undo(actor=membership)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The deletion is undone. {org.name} stays, and everything in it can change again.")
    return redirect("orgs:privacy", org_slug)


@require_http_methods(["GET", "POST"])
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    problems = deletion.account_deletion_problems(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            deletion.account_delete(user=request.user, password=form.cleaned_data["password"], request=request)
        except DomainError as exc:
            form.add_error("password" if exc.field else None, exc.message)
        else:
            return render(request, "privacy/account_deleted.html")
    return render(
        request,
        "privacy/account_delete.html",
        {
            "form": form,
            "problems": problems,
            "sole": selectors.sole_ownerships(request.user),
            "memberships": request.user.memberships.select_related("org"),
        },
        status=400 if form.errors else 200,
    )
