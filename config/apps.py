from django.apps import AppConfig


class PersonaeConfig(AppConfig):
    """The project itself, as an app, so the top layer binds the Celery app and core needn't."""

    name = "config"

    def ready(self):
        # Bind the Celery app in every Django process, so `.delay()` uses our broker. Not in
        # config/__init__.py: config.celery starts the embedded services on import, and
        # `from config import embedded` (manage.py, the test plugin) must not.
        import config.celery  # noqa: F401
