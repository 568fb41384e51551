"""Support staff: video jobs (cancel and retry through the same services as the app) and animations
with their steps (stop the running step)."""

from django.contrib import admin

from core.exceptions import DomainError
from jobs.admin import JobAdmin
from video import animate, services
from video.models import AnimatePipeline, AnimateStep, VideoJob


@admin.register(VideoJob)
class VideoJobAdmin(JobAdmin):
    list_display = ("created_at", "org", "label", "origin", "status", "credits", "created_by", "short_error")
    list_filter = ("status", "kind", "origin")
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    raw_id_fields = ("source", "result", "hold", "call", "retry_of", "created_by", "character", "pack")

    cancel_service = services.video_job_cancel
    retry_service = services.video_job_retry


class AnimateStepInline(admin.TabularInline):
    model = AnimateStep
    extra = 0
    fields = ("created_at", "kind", "status", "credits", "source", "result", "call", "error")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AnimatePipeline)
class AnimatePipelineAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "character_name", "source_title", "mode", "seconds", "created_by")
    list_filter = ("mode", "resolution", "nsfw", "auto_animate")
    search_fields = ("public_id", "org__name", "org__slug", "character_name", "source_title")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("source", "character", "created_by")
    readonly_fields = [f.name for f in AnimatePipeline._meta.fields]
    inlines = [AnimateStepInline]
    actions = ["stop_running_steps"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Stop the running step of the selected animations and return its credits")
    def stop_running_steps(self, request, queryset):
        done = 0
        for pipeline in queryset:
            try:
                animate.pipeline_cancel(pipeline=pipeline, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Stopped {done} step(s); animations with nothing running were left alone.")
