from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        # The breakdown's provider-call handler registers itself on import.
        # Every tool's "Project" choice (core.placement): the tools sit below projects and call it.
        from core import placement
        from projects import breakdowns  # noqa: F401
        from projects.placement import Destination

        placement.register(Destination())
