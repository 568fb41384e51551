"""Celery finds this module; the tasks live next to their services and register on import."""

from characters import dataset, pipeline  # noqa: F401
