"""Support staff: the product-analytics event log, read-only, filterable by event and date."""

from django.contrib import admin

from core.models import AnalyticsEvent


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "name", "org", "user", "properties")
    list_filter = ("name",)
    search_fields = ("name", "org__name", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("org", "user")
    readonly_fields = ("created_at", "name", "org", "user", "properties")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
