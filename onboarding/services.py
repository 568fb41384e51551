"""Where a signed-in person goes next: create/join → questionnaire → plan → dashboard."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import QuestionnaireResponse, User
from core.emails import email_send
from onboarding.selectors import current_membership
from orgs.models import Membership, Organization


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
