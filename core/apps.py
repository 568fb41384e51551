from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self):
        # Bind the Celery app in every Django process, so `.delay()` uses our broker. (Kept out of
        # config/__init__.py so importing config.embedded has no side effects.)
        import config.celery  # noqa: F401
        from core import checks  # noqa: F401 -- registers the system checks
