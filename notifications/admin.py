"""Support staff: what people were told, and whether they have seen it."""

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__email", "org__name", "org__slug")
    date_hierarchy = "created_at"
    list_select_related = ("org", "user")
    raw_id_fields = ("org", "user")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
