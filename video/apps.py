from django.apps import AppConfig


class VideoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "video"
    verbose_name = "Video"

    def ready(self) -> None:
        # Job kinds register their provider-call handlers when imported.
        from characters import deletion
        from video import animate, services, steps, upscale  # noqa: F401

        deletion.on_delete(services.video_jobs_cancel_for_character)
        deletion.on_delete(animate.pipelines_cancel_for_character)
