"""Support staff: video jobs (cancel and retry through the same services as the app) and animations
with their steps (stop the running step)."""

from django.contrib import admin, messages

from core.exceptions import DomainError
from video import animate, services
from video.models import AnimatePipeline, AnimateStep, VideoJob


@admin.register(VideoJob)
class VideoJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "label", "origin", "status", "credits", "created_by", "short_error")
    list_filter = ("status", "kind", "origin")
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("source", "result", "hold", "call", "retry_of", "created_by", "character", "pack")
    readonly_fields = [f.name for f in VideoJob._meta.fields]
    actions = ["cancel_jobs", "retry_jobs"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Error")
    def short_error(self, job):
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(description="Cancel the selected jobs and return their credits")
    def cancel_jobs(self, request, queryset):
        done = 0
        for job in queryset:
            try:
                services.video_job_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} job(s); finished ones were left alone.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or cancelled jobs (charges the org again)")
    def retry_jobs(self, request, queryset):
        for job in queryset:
            try:
                services.video_job_retry(job=job, user=job.created_by)
            except DomainError as exc:
                self.message_user(request, f"{job}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{job}: queued again.", messages.SUCCESS)


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
