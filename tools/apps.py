from django.apps import AppConfig


class ToolsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tools"
    verbose_name = "AI tools"

    def ready(self) -> None:
        # Image → 3D waits on a provider call: its handler registers when imported.
        from tools import mesh_jobs  # noqa: F401
