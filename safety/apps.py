from django.apps import AppConfig


class SafetyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safety"
    verbose_name = "Trust and safety"

    def ready(self):
        from safety import receivers  # noqa: F401  (refusals into the audit log)
