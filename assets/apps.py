from django.apps import AppConfig
from django.core import checks


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Library"

    def ready(self) -> None:
        from assets.checks import provider_media_check
        from assets.selectors import storage_used
        from billing import limits

        checks.register(provider_media_check)
        limits.counter_register(limits.STORAGE, storage_used)
