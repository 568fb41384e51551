"""Support staff: tool jobs (cancel and retry through the same services as the app) and uploaded LUTs."""

from django.contrib import admin, messages

from core.exceptions import DomainError
from tools import services
from tools.models import Lut, MatteJob, MeshJob, ToolJob


@admin.register(ToolJob)
class ToolJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "label", "status", "progress", "credits", "created_by", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("source", "result", "hold", "retry_of", "created_by")
    readonly_fields = [f.name for f in ToolJob._meta.fields]
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
                services.tool_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} job(s); finished ones were left alone.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or cancelled jobs (charges the org again)")
    def retry_jobs(self, request, queryset):
        for job in queryset:
            try:
                services.tool_retry(job=job, user=job.created_by)
            except DomainError as exc:
                self.message_user(request, f"{job}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{job}: queued again.", messages.SUCCESS)


@admin.register(Lut)
class LutAdmin(admin.ModelAdmin):
    list_display = ("name", "org", "size", "created_by", "created_at")
    search_fields = ("name", "org__name", "org__slug")
    raw_id_fields = ("created_by",)
    readonly_fields = ("size", "text", "created_at")


@admin.register(MeshJob)
class MeshJobAdmin(admin.ModelAdmin):
    """Image → 3D jobs: cancelled through the same service as the app (credits back, call cancelled)."""

    list_display = ("created_at", "org", "label", "status", "credits", "created_by", "short_error")
    list_filter = ("status",)
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("source", "result", "hold", "retry_of", "created_by", "call")
    readonly_fields = [f.name for f in MeshJob._meta.fields]
    actions = ["cancel_jobs"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Error")
    def short_error(self, job):
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(description="Cancel the selected jobs and return their credits")
    def cancel_jobs(self, request, queryset):
        from tools.mesh_jobs import mesh_cancel

        done = 0
        for job in queryset:
            try:
                mesh_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} job(s); finished ones were left alone.", messages.SUCCESS)


@admin.register(MatteJob)
class MatteJobAdmin(admin.ModelAdmin):
    """Rotoscoping runs: cancel (credits back, the provider call stopped) and retry through ``tools.roto``."""

    list_display = ("created_at", "org", "label", "status", "stage", "credits", "created_by", "short_error")
    list_filter = ("status", "stage")
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("source", "result", "preview", "hold", "call", "retry_of", "created_by")
    readonly_fields = [f.name for f in MatteJob._meta.fields]
    actions = ["cancel_jobs", "retry_jobs"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Error")
    def short_error(self, job):
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(description="Cancel the selected runs and return their credits")
    def cancel_jobs(self, request, queryset):
        from tools import roto

        done = 0
        for job in queryset:
            try:
                roto.roto_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} run(s); finished ones were left alone.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or cancelled runs (charges the org again)")
    def retry_jobs(self, request, queryset):
        from tools import roto

        for job in queryset:
            try:
                roto.roto_retry(job=job, user=job.created_by)
            except DomainError as exc:
                self.message_user(request, f"{job}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{job}: queued again.", messages.SUCCESS)
