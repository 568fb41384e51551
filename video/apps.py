from django.apps import AppConfig


class VideoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "video"
    verbose_name = "Video"

    def ready(self) -> None:
        # Job kinds register their provider-call handlers when imported.
        from characters import deletion
        from generation import followups
        from video import animate, batch, services, steps, upscale  # noqa: F401

        deletion.on_delete(services.video_jobs_cancel_for_character)
        deletion.on_delete(animate.pipelines_cancel_for_character)
        followups.on_image_delivered(batch.pack_image_delivered)
        followups.on_batch(batch.PACK_VIDEOS)
