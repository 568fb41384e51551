from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        # The breakdown's provider-call handler registers itself on import.
        from projects import breakdowns  # noqa: F401
