from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import receivers  # noqa: F401  (connects the Stripe webhook receivers)
