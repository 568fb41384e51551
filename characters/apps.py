from django.apps import AppConfig


class CharactersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "characters"
    verbose_name = "Characters"

    def ready(self) -> None:
        # Job kinds register their provider-call handlers and pipeline steps when imported.
        from billing import limits
        from characters import captions, pipeline, training, wizard  # noqa: F401
        from characters.selectors import characters_count

        limits.counter_register(limits.CHARACTERS, characters_count)
