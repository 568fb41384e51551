from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import (
            emails,  # noqa: F401  (connects the receivers of billing.signals)
            receivers,  # noqa: F401  (connects the Stripe webhook receivers)
            stripe_webhooks,  # noqa: F401  (queues each stored webhook delivery for the worker)
        )
