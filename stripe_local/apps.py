from django.apps import AppConfig


class StripeLocalConfig(AppConfig):
    """The local test-mode Stripe: serves the part of Stripe's API Personae uses when no
    STRIPE_SECRET_KEY is set, so payments work end to end on a laptop and in tests."""

    name = "stripe_local"
    verbose_name = "Local Stripe (test mode)"

    def ready(self):
        from django.conf import settings

        if getattr(settings, "STRIPE_LOCAL", False):
            from stripe_local.client import install

            install()
            from django.db.models.signals import post_migrate

            post_migrate.connect(_ensure_webhook_endpoint, sender=self)


def _ensure_webhook_endpoint(**kwargs):
    """The dj-stripe webhook endpoint (with its signing secret) the local Stripe delivers to."""
    from stripe_local.delivery import webhook_endpoint

    webhook_endpoint()
