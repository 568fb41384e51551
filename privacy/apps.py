from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Data exports, deletion and retention"

    def ready(self) -> None:
        from privacy import job_centre

        job_centre.register_source()
