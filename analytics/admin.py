"""Staff: the product-analytics event log (read-only, filterable by event and date) and the
dashboards built on it: the sign-up funnel, daily active users, success rate and latency by
operation, and face-model training times."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from analytics import charts, selectors
from analytics.models import Event

WINDOWS = (7, 30, 90)
LONG_OPERATIONS = {"Face model training"}


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("at", "name", "org", "user", "properties")
    list_filter = ("name",)
    search_fields = ("name", "org__name", "user__email")
    date_hierarchy = "at"
    list_select_related = ("org", "user")
    readonly_fields = ("at", "name", "org", "user", "properties")
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page isn't worth it

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        dashboard = path(
            "dashboards/", self.admin_site.admin_view(self.dashboard_view), name="analytics_event_dashboards"
        )
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = int(request.GET.get("days", settings.ANALYTICS_DASHBOARD_DAYS))
        except ValueError:
            days = settings.ANALYTICS_DASHBOARD_DAYS
        days = min(max(days, 1), 365)
        window = selectors.Window.last(days)
        funnel = selectors.funnel(window)
        active = selectors.daily_active_users(window)
        operations = selectors.operations(window)
        lora = selectors.lora_completion_times(window)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Product analytics, last {days} days",
            "opts": self.model._meta,
            "days": days,
            "windows": WINDOWS,
            "funnel": funnel,
            "funnel_chart": charts.bar_chart(
                [(step.label, step.people) for step in funnel], title="Sign-up funnel: people at each step"
            ),
            "active": active,
            "active_peak": max((n for _day, n in active), default=0),
            "active_chart": charts.line_chart(
                [(day.strftime("%d %b"), n) for day, n in active], title="Daily active users"
            ),
            "operations": operations,
            "success_chart": charts.bar_chart(
                [(row.label, row.success_rate) for row in operations if row.failed is not None],
                title="Success rate by operation",
                unit="%",
            ),
            # Training takes minutes, not seconds: it has its own chart below.
            "latency_chart": charts.bar_chart(
                [
                    (row.label, row.p50_seconds)
                    for row in operations
                    if row.p50_seconds is not None and row.label not in LONG_OPERATIONS
                ],
                title="Median time by operation, seconds",
                unit=" s",
            ),
            "lora": lora,
            "lora_chart": charts.bar_chart(lora.buckets, title="Face model trainings by time to finish"),
            "event_counts": selectors.event_counts(window),
        }
        return TemplateResponse(request, "admin/analytics/event/dashboards.html", context)
