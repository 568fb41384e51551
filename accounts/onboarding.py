"""Where a signed-in person goes next: create/join → questionnaire → plan → dashboard."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import QuestionnaireResponse, User
from billing.models import Plan
from core.emails import email_send
from orgs.models import Membership, Organization

# The plan a visitor picked on the pricing page before signing up (a Plan slug).
SIGNUP_PLAN_SESSION_KEY = "signup_plan"


def current_membership(user: User) -> Membership | None:
    memberships = Membership.objects.filter(user=user).select_related("org")
    if user.last_org_id:
        membership = memberships.filter(org_id=user.last_org_id).first()
        if membership:
            return membership
    return memberships.order_by("created_at").first()


def signup_plan(request) -> Plan | None:
    """The public plan this browser picked on the pricing page, if any."""
    slug = request.session.get(SIGNUP_PLAN_SESSION_KEY)
    return Plan.objects.filter(slug=slug, is_public=True).first() if slug else None


def next_url(user: User, org: Organization | None = None) -> str:
    membership = (
        Membership.objects.filter(user=user, org=org).select_related("org").first() if org else current_membership(user)
    )
    if membership is None:
        return reverse("orgs:start")
    if user.onboarded_at is None:
        if not QuestionnaireResponse.objects.filter(user=user).exists():
            return reverse("onboarding_questionnaire")
        if membership.is_owner and membership.org.plan_selected_at is None:
            return reverse("onboarding_plan")
        onboarding_finish(user=user, org=membership.org)
    return reverse("orgs:dashboard", args=[membership.org.slug])


@transaction.atomic
def onboarding_finish(*, user: User, org: Organization) -> None:
    """Mark onboarding done and send the welcome email, once."""
    now = timezone.now()
    User.objects.filter(pk=user.pk, onboarded_at__isnull=True).update(onboarded_at=now)
    user.onboarded_at = now
    if User.objects.filter(pk=user.pk, welcomed_at__isnull=True).update(welcomed_at=now):
        from django.conf import settings

        email_send(
            prefix="welcome",
            to=[user.email],
            context={
                "user": user,
                "org": org,
                "url": settings.SITE_URL + reverse("orgs:dashboard", args=[org.slug]),
            },
        )
