from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError
from core.htmx import render_page
from core.http import OrgHttpRequest
from core.refusals import refusals_as_messages
from orgs import selectors, services
from orgs.decorators import ROLE_DENIED_MESSAGES, org_view
from orgs.forms import ApproveForm, DatasetRetentionForm, InvitationForm, OrgSettingsForm, RoleForm
from orgs.models import ROLE_DESCRIPTIONS, Role

# --- Org pages --------------------------------------------------------------------------------


@require_GET
@org_view()
def dashboard(request: OrgHttpRequest) -> HttpResponse:
    steps = selectors.getting_started_steps(request.org)
    # The paid plan's subscription, when there is one (a reverse relation: billing sits above orgs).
    subscription = getattr(request.org, "billing_subscription", None)
    return render(
        request,
        "orgs/dashboard.html",
        {
            "steps": steps,
            "steps_done": sum(s["done"] for s in steps),
            # The first-run guide: the first step not done yet, and where it sits in the checklist.
            "next_step": next(({**s, "number": n} for n, s in enumerate(steps, 1) if not s["done"]), None),
            "subscription": subscription if subscription is not None and subscription.status != "none" else None,
            "pending_requests": selectors.pending_join_requests_for_org(request.org)
            if request.membership.can_manage_members
            else [],
        },
    )


@require_http_methods(["GET", "POST"])
@org_view()
def org_settings(request: OrgHttpRequest) -> HttpResponse:
    org = request.org
    initial = {"name": org.name, "email": org.email, "allow_join_requests": org.allow_join_requests}
    if request.method == "POST" and request.POST.get("action") == "adult_content":
        return _adult_content_set(request)
    if request.method == "POST" and request.POST.get("action") == "dataset_retention":
        return _dataset_retention_set(request)
    form = OrgSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not request.membership.can_manage_members:
            messages.error(request, "Only owners and admins can change settings.")
            return redirect("orgs:settings", org.slug)
        if form.is_valid():
            try:
                services.org_update(org=org, actor=request.membership, **form.cleaned_data)
            except DomainError as e:
                form.add_error(e.field, e.message)
            else:
                messages.success(request, "Settings saved.")
                return redirect("orgs:settings", org.slug)
    retention_form = DatasetRetentionForm(initial={"days": org.dataset_retention_days})
    return render(
        request,
        "orgs/settings.html",
        {"form": form, "retention_form": retention_form},
        status=400 if form.errors else 200,
    )


def _dataset_retention_set(request: OrgHttpRequest) -> HttpResponse:
    """How long training photos are kept after training (privacy/retention.py reads it)."""
    if not request.membership.can_manage_members:
        raise PermissionDenied(ROLE_DENIED_MESSAGES[Role.ADMIN])
    form = DatasetRetentionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed periods.")
        return redirect("orgs:settings", request.org.slug)
    days = form.cleaned_data["days"]
    with refusals_as_messages(request):
        services.org_dataset_retention_set(org=request.org, actor=request.membership, days=days)
        messages.success(
            request,
            f"Training photos will be deleted {days} days after training."
            if days
            else "Training photos will be kept until their character is deleted.",
        )
    return redirect("orgs:settings", request.org.slug)


def _adult_content_set(request: OrgHttpRequest) -> HttpResponse:
    """The owner-only adult-content switch on the settings page (PRODUCT.md §9)."""
    if not request.membership.is_owner:
        raise PermissionDenied(ROLE_DENIED_MESSAGES[Role.OWNER])
    enabled = request.POST.get("enabled") == "1"
    with refusals_as_messages(request):
        services.org_adult_content_set(
            org=request.org,
            user=request.user,
            enabled=enabled,
            confirmed_adult=request.POST.get("confirmed_adult") == "on",
        )
        if enabled:
            messages.success(
                request,
                "Adult content is on. Each character still needs its own permission and a consent record that "
                "covers it.",
            )
        else:
            messages.success(request, "Adult content is off. No character can be used for adult content now.")
    return redirect("orgs:settings", request.org.slug)


# --- Members ----------------------------------------------------------------------------------


def _members_page(request: OrgHttpRequest, *, invite_form=None, status=200) -> HttpResponse:
    org = request.org
    return render_page(
        request,
        "orgs/members.html",
        {
            "members": selectors.members_for_org(org),
            "invitations": selectors.pending_invitations_for_org(org),
            "join_requests": selectors.pending_join_requests_for_org(org),
            "invite_form": invite_form or InvitationForm(),
            "approve_form": ApproveForm(),
            "seats": selectors.seat_usage(org),
            "roles": Role.choices,
            "role_descriptions": {str(k): v for k, v in ROLE_DESCRIPTIONS.items()},
            "owner_count": sum(1 for m in org.memberships.all() if m.role == Role.OWNER),
        },
        partials=("members-panel",),
        status=status,
    )


def _after_action(request: OrgHttpRequest) -> HttpResponse:
    if request.htmx:
        return _members_page(request)
    return redirect("orgs:members", request.org.slug)


@require_GET
@org_view()
def members(request: OrgHttpRequest) -> HttpResponse:
    return _members_page(request)


@require_POST
@org_view(Role.ADMIN)
def invite(request: OrgHttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(actor=request.membership, **form.cleaned_data)
        except DomainError as e:
            form.add_error(e.field, e.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return _after_action(request)
    return _members_page(request, invite_form=form, status=200 if request.htmx else 400)


def _run(request: OrgHttpRequest, action, success: str) -> HttpResponse:
    with refusals_as_messages(request):
        action()
        messages.success(request, success)
    return _after_action(request)


@require_POST
@org_view(Role.ADMIN)
def invitation_revoke(request: OrgHttpRequest, public_id) -> HttpResponse:
    inv = selectors.invitation_get(request.org, public_id) or _404()
    return _run(
        request,
        lambda: services.invitation_revoke(actor=request.membership, invitation=inv),
        f"Invitation for {inv.email} withdrawn.",
    )


@require_POST
@org_view(Role.ADMIN)
def invitation_resend(request: OrgHttpRequest, public_id) -> HttpResponse:
    inv = selectors.invitation_get(request.org, public_id) or _404()
    return _run(
        request,
        lambda: services.invitation_resend(actor=request.membership, invitation=inv),
        f"A fresh invitation was sent to {inv.email}.",
    )


@require_POST
@org_view(Role.ADMIN)
def member_role(request: OrgHttpRequest, public_id) -> HttpResponse:
    membership = selectors.membership_get(request.org, public_id) or _404()
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return _after_action(request)
    role = form.cleaned_data["role"]
    return _run(
        request,
        lambda: services.membership_change_role(actor=request.membership, membership=membership, role=role),
        f"{membership.user.display_name} is now {Role(role).label.lower()}.",
    )


@require_POST
@org_view(Role.ADMIN)
def member_remove(request: OrgHttpRequest, public_id) -> HttpResponse:
    membership = selectors.membership_get(request.org, public_id) or _404()
    return _run(
        request,
        lambda: services.membership_remove(actor=request.membership, membership=membership),
        f"{membership.user.display_name} was removed from {request.org.name}.",
    )


@require_POST
@org_view(Role.OWNER)
def ownership_transfer(request: OrgHttpRequest, public_id) -> HttpResponse:
    membership = selectors.membership_get(request.org, public_id) or _404()
    return _run(
        request,
        lambda: services.ownership_transfer(actor=request.membership, membership=membership),
        f"{membership.user.display_name} now owns {request.org.name}; you are an admin.",
    )


@require_POST
@org_view(while_deleting=True)  # anyone may leave an organisation on its way out
def leave(request: OrgHttpRequest) -> HttpResponse:
    try:
        services.membership_leave(membership=request.membership)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("orgs:members", request.org.slug)
    messages.success(request, f"You left {request.org.name}.")
    return redirect("app_home")


@require_POST
@org_view(Role.ADMIN)
def join_request_approve(request: OrgHttpRequest, public_id) -> HttpResponse:
    join_request = selectors.join_request_get(request.org, public_id) or _404()
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin, member or viewer for the new teammate.")
        return _after_action(request)
    role = form.cleaned_data["role"]
    return _run(
        request,
        lambda: services.join_request_approve(actor=request.membership, join_request=join_request, role=role),
        f"{join_request.user.display_name} joined as {Role(role).label.lower()}.",
    )


@require_POST
@org_view(Role.ADMIN)
def join_request_decline(request: OrgHttpRequest, public_id) -> HttpResponse:
    join_request = selectors.join_request_get(request.org, public_id) or _404()
    return _run(
        request,
        lambda: services.join_request_decline(actor=request.membership, join_request=join_request),
        f"Request from {join_request.user.display_name} declined.",
    )


def _404():
    raise Http404
