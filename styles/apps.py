from django.apps import AppConfig


class StylesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "styles"
    verbose_name = "Style recipes"

    def ready(self) -> None:
        # The extraction job registers its provider-call handler when imported.
        from styles import services  # noqa: F401
