"""Support staff read every organisation's audit log here; nobody edits or deletes it."""

from django.contrib import admin

from audit import actions
from audit.models import AuditEntry


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return actions.choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org_name", "actor_label", "action_label", "summary", "ip")
    list_filter = (ActionFilter, "actor_kind", "created_at")
    search_fields = ("org_name", "actor_email", "summary", "target_id", "=ip", "=org__public_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False

    @admin.display(description="who")
    def actor_label(self, obj):
        return obj.actor_label

    @admin.display(description="action")
    def action_label(self, obj):
        return obj.action_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
