from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "providers"
    verbose_name = "AI providers"

    def ready(self):
        # The minors screen (``safety``) sits below this app; it asks the LLM through this moderator.
        from providers import moderation
        from safety.screen import moderator_register

        moderator_register(moderation.moderate, available=moderation.available)
