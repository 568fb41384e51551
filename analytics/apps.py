from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "Product analytics"

    def ready(self) -> None:
        from analytics import receivers  # noqa: F401  (connects the sign-up receiver)
