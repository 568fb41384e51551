from django.apps import AppConfig


class LicensingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "licensing"
    verbose_name = "Likeness licensing"

    def ready(self) -> None:
        from assets.services import exports
        from generation import licence_checks
        from licensing import inputs, receivers  # noqa: F401  (receivers: the account.updated webhook)
        from licensing.checker import LicenceCheck
        from licensing.metadata import licence_summary

        licence_checks.register(LicenceCheck())
        inputs.register()
        exports.on_export(licence_summary)
