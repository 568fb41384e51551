"""Create the demo accounts the README names, then the demo workspace's sample content (every
``seeds/<feature>.py`` module's ``seed``, see ``seeds.loader``). Safe to run any number of times."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import QuestionnaireResponse, User
from billing.models import Plan
from billing.services import credits_grant
from orgs.models import Membership, Organization, Role
from seeds.loader import seed_all

DEMO_PASSWORD = "personae-demo"  # noqa: S105 -- a published demo credential
DEMO_USERS = [
    # email, name, staff
    ("demo@personae.local", "Dana Demo", False),
    ("teammate@personae.local", "Theo Teammate", False),
    ("admin@personae.local", "Sam Support", True),
]


class Command(BaseCommand):
    help = "Create demo users and a demo organisation (idempotent)."

    def handle(self, *args, **options):
        org, owner = self.accounts()
        # Outside the accounts' transaction: each sample job commits as it goes, as in the app.
        seed_all(org, owner, report=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: log in as demo@personae.local / {DEMO_PASSWORD} "
                f"(support admin: admin@personae.local / {DEMO_PASSWORD})"
            )
        )

    @transaction.atomic
    def accounts(self) -> tuple[Organization, User]:
        users = {}
        for email, name, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(email=email, defaults={"name": name})
            if created:
                user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = staff
            user.onboarded_at = user.onboarded_at or timezone.now()
            user.welcomed_at = user.welcomed_at or timezone.now()
            user.save()
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            if not user.questionnaire_responses.exists():
                QuestionnaireResponse.objects.create(user=user, skipped=True)
            users[email] = user

        org, _ = Organization.objects.get_or_create(
            slug="demo-agency",
            defaults={
                "name": "Demo Agency",
                "email": "demo@personae.local",
                # The demo org is on Studio so its three seats let you try invitations.
                "plan": Plan.objects.get(slug="studio"),
                "plan_selected_at": timezone.now(),
                "created_by": users["demo@personae.local"],
            },
        )
        Membership.objects.get_or_create(org=org, user=users["demo@personae.local"], defaults={"role": Role.OWNER})
        Membership.objects.get_or_create(org=org, user=users["teammate@personae.local"], defaults={"role": Role.MEMBER})
        for email in ("demo@personae.local", "teammate@personae.local"):
            User.objects.filter(email=email, last_org__isnull=True).update(last_org=org)
        # The Studio plan's credits, granted once however often this runs (keyed like a new org's plan-start grant).
        credits_grant(
            org=org,
            amount=org.plan.monthly_credits,
            key=f"plan-start:{org.public_id}",
            description=f"{org.plan.name} plan credits",
        )
        return org, users["demo@personae.local"]
