from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """The way in: sign-up (with a plan picked on the pricing page), create or join an organisation
    (or accept an invitation), the questionnaire, the plan, and the welcome email. It strings
    accounts, orgs and billing together, so it sits above all three."""

    name = "onboarding"
