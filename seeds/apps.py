from django.apps import AppConfig


class SeedsConfig(AppConfig):
    """Demo data for local runs (`manage.py seed_demo`). It sits on top of every domain app, so it
    may use any of them and none may use it."""

    name = "seeds"
