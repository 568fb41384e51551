"""Support staff: edit jobs, with retry and cancel that go through the same services as the app."""

from django.contrib import admin, messages

from core.exceptions import DomainError
from generation import services
from generation.models import EditJob


@admin.register(EditJob)
class EditJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "label", "status", "credits", "created_by", "short_error")
    list_filter = ("status", "kind")
    search_fields = ("public_id", "org__name", "org__slug", "source_title", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    raw_id_fields = ("source", "result", "hold", "call", "retry_of", "created_by")
    readonly_fields = [f.name for f in EditJob._meta.fields]
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
                services.edit_job_cancel(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} job(s); finished ones were left alone.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or cancelled jobs (charges the org again)")
    def retry_jobs(self, request, queryset):
        for job in queryset:
            try:
                services.edit_job_retry(job=job, user=job.created_by)
            except DomainError as exc:
                self.message_user(request, f"{job}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{job}: queued again.", messages.SUCCESS)
