from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "datasets"
    verbose_name = "Dataset builder"

    def ready(self) -> None:
        # The build run registers its provider-call handler when imported.
        from datasets import runner  # noqa: F401
