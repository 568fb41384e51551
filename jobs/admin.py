"""What every job's admin page shares: read-only rows (status moves only through the services),
the error in short, and the cancel and retry actions, which call the app's own services through
``cancel_service`` and ``retry_service`` so staff act exactly as the organisation's people do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.exceptions import DomainError
from jobs.models import Job


class JobAdmin(admin.ModelAdmin):
    """Subclass (with its own ``search_fields``) naming the app's services: ``cancel_service(job=, user=)`` (run as no one, like a
    staff stop) and ``retry_service(job=, user=)`` (run as the person who asked, who is charged)."""

    cancel_service: ClassVar[Callable[..., Any]]
    retry_service: ClassVar[Callable[..., Any]]

    date_hierarchy = "created_at"
    list_select_related = ("org", "created_by")
    actions = ["cancel_jobs", "retry_jobs"]

    def get_readonly_fields(self, request: HttpRequest, obj: Job | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    @admin.display(description="Error")
    def short_error(self, job: Job) -> str:
        return (job.error[:80] + "…") if len(job.error) > 80 else job.error

    @admin.action(description="Cancel the selected jobs and return their credits")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        done = 0
        for job in queryset:
            try:
                type(self).cancel_service(job=job, user=None)
                done += 1
            except DomainError:
                pass
        self.message_user(request, f"Cancelled {done} job(s); finished ones were left alone.", messages.SUCCESS)

    @admin.action(description="Retry the selected failed or cancelled jobs (charges the org again)")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        for job in queryset:
            try:
                type(self).retry_service(job=job, user=job.created_by)
            except DomainError as exc:
                self.message_user(request, f"{job}: {exc.text}", messages.WARNING)
            else:
                self.message_user(request, f"{job}: queued again.", messages.SUCCESS)
