"""The way in: sign-up, create or join an organisation (or accept an invitation), the
questionnaire and the plan. Each step sends the person on with ``services.next_url``."""

from allauth.account.adapter import get_adapter
from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import QuestionnaireForm
from accounts.models import QuestionnaireResponse
from billing.models import Plan
from billing.services import org_create_on_default_plan
from core.exceptions import DomainError
from core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from onboarding import selectors, services
from orgs import selectors as org_selectors
from orgs import services as org_services
from orgs.forms import JoinRequestForm, OrgCreateForm

# --- Sign-up and the steps after it -------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    """allauth's sign-up. A plan picked on the pricing page (``?plan=creator``) is remembered in
    the session, shown on the form, and preselected at the onboarding plan step."""
    plan = Plan.objects.filter(slug=request.GET.get("plan", ""), is_public=True).first()
    if plan:
        request.session[selectors.SIGNUP_PLAN_SESSION_KEY] = plan.slug
    else:
        plan = selectors.signup_plan(request)
    return SignupView.as_view(extra_context={"chosen_plan": plan})(request)


@require_GET
def app_home(request: AuthenticatedHttpRequest):
    """Where login lands: the next onboarding step, or the current organisation's dashboard."""
    return redirect(services.next_url(request.user))


@require_http_methods(["GET", "POST"])
def questionnaire(request: AuthenticatedHttpRequest):
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST":
        if "skip" in request.POST:
            QuestionnaireResponse.objects.create(user=request.user, skipped=True)
            return redirect(services.next_url(request.user))
        if form.is_valid():
            response = form.save(commit=False)
            response.user = request.user
            response.save()
            messages.success(request, "Thanks — that helps us set things up for you.")
            return redirect(services.next_url(request.user))
    return render(request, "onboarding/questionnaire.html", {"form": form, "step": 2})


@require_http_methods(["GET", "POST"])
def choose_plan(request: AuthenticatedHttpRequest):
    membership = selectors.current_membership(request.user)
    if membership is None or not membership.is_owner:
        return redirect(services.next_url(request.user))
    if request.method == "POST":
        plan = Plan.objects.filter(slug=request.POST.get("plan"), is_public=True).first()
        if plan is None:
            messages.error(request, "Choose one of the plans below.")
        else:
            try:
                org_services.org_select_plan(org=membership.org, actor=membership, plan=plan)
            except DomainError as e:
                messages.error(request, e.message)
            else:
                request.session.pop(selectors.SIGNUP_PLAN_SESSION_KEY, None)
                return redirect(services.next_url(request.user))
    return render(
        request,
        "onboarding/choose_plan.html",
        {
            "plans": Plan.objects.filter(is_public=True),
            "org": membership.org,
            "step": 3,
            "chosen_plan": selectors.signup_plan(request),
        },
    )


# --- Create or join ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create an organisation, or ask to join one by its ID."""
    create_form = OrgCreateForm(request.POST if request.POST.get("action") == "create" else None)
    join_form = JoinRequestForm(request.POST if request.POST.get("action") == "join" else None)
    if request.method == "POST":
        if create_form.is_bound and create_form.is_valid():
            try:
                org = org_create_on_default_plan(user=request.user, name=create_form.cleaned_data["name"])
            except DomainError as e:
                create_form.add_error(e.field, e.message)
            else:
                messages.success(request, f"{org.name} is ready.")
                return redirect(services.next_url(request.user, org))
        elif join_form.is_bound and join_form.is_valid():
            try:
                join_request = org_services.join_request_create(
                    user=request.user,
                    org_id=join_form.cleaned_data["org_id"],
                    message=join_form.cleaned_data["message"],
                )
            except DomainError as e:
                join_form.add_error(e.field, e.message)
            else:
                messages.success(
                    request,
                    f"Request sent to {join_request.org.name}. We'll email you when an admin approves it.",
                )
                return redirect("orgs:start")
        elif not (create_form.is_bound or join_form.is_bound):
            messages.error(request, "Choose whether to create an organisation or join one.")
    return render(
        request,
        "onboarding/start.html",
        {
            "create_form": create_form,
            "join_form": join_form,
            "memberships": org_selectors.memberships_for_user(request.user),
            "pending_requests": org_selectors.pending_join_requests_for_user(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def join_request_cancel(request: AuthenticatedHttpRequest, public_id) -> HttpResponse:
    join_request = org_selectors.pending_join_requests_for_user(request.user).filter(public_id=public_id).first()
    if join_request is None:
        raise Http404
    org_services.join_request_cancel(user=request.user, join_request=join_request)
    messages.info(request, f"Your request to join {join_request.org.name} was withdrawn.")
    return redirect("orgs:start")


# --- Invitations (the emailed link) -----------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation(request: HtmxHttpRequest, token: str) -> HttpResponse:
    invitation = org_services.invitation_for_token(token)
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        if user is None:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = org_services.invitation_accept(token=token, user=user)
        except DomainError as e:
            messages.error(request, e.message)
            return redirect(request.path)
        messages.success(
            request, f"Welcome to {membership.org.name}! You joined as {membership.get_role_display().lower()}."
        )
        return redirect(services.next_url(user, membership.org))
    problem = org_services.invitation_problem(invitation, user)
    if invitation is not None and user is None and problem is None:
        # Signing up from a live link proves the address, so allauth can skip the verification email.
        get_adapter(request).stash_verified_email(request, invitation.email)
    return render(
        request,
        "onboarding/invitation.html",
        {
            "invitation": invitation,
            "problem": problem,
            "already_member": bool(user and invitation and invitation.org.memberships.filter(user=user).exists()),
        },
        status=404 if invitation is None else 200,
    )
