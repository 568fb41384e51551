"""Reads for the onboarding flow: the membership it continues with, and the plan picked before sign-up."""

from __future__ import annotations

from accounts.models import User
from billing.models import Plan
from orgs.models import Membership

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
