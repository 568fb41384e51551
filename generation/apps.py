from django.apps import AppConfig


class GenerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "generation"
    verbose_name = "Generation and edits"

    def ready(self) -> None:
        # Job kinds register their provider-call handlers when imported.
        from characters import deletion
        from generation import drafts, edits, pack_images, packs, services  # noqa: F401

        deletion.on_delete(packs.packs_cancel_for_character)
