from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import onboarding
from accounts.forms import ProfileForm, QuestionnaireForm
from accounts.models import QuestionnaireResponse
from billing.models import Plan
from core.exceptions import DomainError
from core.http import AuthenticatedHttpRequest
from orgs import services as org_services


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    """allauth's sign-up. A plan picked on the pricing page (``?plan=creator``) is remembered in
    the session, shown on the form, and preselected at the onboarding plan step."""
    plan = Plan.objects.filter(slug=request.GET.get("plan", ""), is_public=True).first()
    if plan:
        request.session[onboarding.SIGNUP_PLAN_SESSION_KEY] = plan.slug
    else:
        plan = onboarding.signup_plan(request)
    return SignupView.as_view(extra_context={"chosen_plan": plan})(request)


@require_GET
def app_home(request: AuthenticatedHttpRequest):
    """Where login lands: the next onboarding step, or the current organisation's dashboard."""
    return redirect(onboarding.next_url(request.user))


@require_http_methods(["GET", "POST"])
def questionnaire(request: AuthenticatedHttpRequest):
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST":
        if "skip" in request.POST:
            QuestionnaireResponse.objects.create(user=request.user, skipped=True)
            return redirect(onboarding.next_url(request.user))
        if form.is_valid():
            response = form.save(commit=False)
            response.user = request.user
            response.save()
            messages.success(request, "Thanks — that helps us set things up for you.")
            return redirect(onboarding.next_url(request.user))
    return render(request, "accounts/questionnaire.html", {"form": form, "step": 2})


@require_http_methods(["GET", "POST"])
def choose_plan(request: AuthenticatedHttpRequest):
    membership = onboarding.current_membership(request.user)
    if membership is None or not membership.is_owner:
        return redirect(onboarding.next_url(request.user))
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
                request.session.pop(onboarding.SIGNUP_PLAN_SESSION_KEY, None)
                return redirect(onboarding.next_url(request.user))
    return render(
        request,
        "accounts/choose_plan.html",
        {
            "plans": Plan.objects.filter(is_public=True),
            "org": membership.org,
            "step": 3,
            "chosen_plan": onboarding.signup_plan(request),
        },
    )


@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form, "org": request.user.last_org})
