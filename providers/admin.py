"""Support staff: every provider call with its input, output, request id, attempts, timings and error."""

from django.contrib import admin, messages
from django.db import transaction

from providers import gateway
from providers.models import ProviderCall, WebhookDelivery


class WebhookInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("delivery_id", "received_at", "payload")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProviderCall)
class ProviderCallAdmin(admin.ModelAdmin):
    list_display = ("created_at", "org", "operation", "provider", "status", "attempts", "request_id", "short_error")
    list_filter = ("status", "provider", "operation")
    search_fields = ("request_id", "public_id", "org__name", "org__slug", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org",)
    inlines = [WebhookInline]
    actions = ["cancel_calls", "check_calls"]  # retrying is per job: Edit jobs → retry
    readonly_fields = [f.name for f in ProviderCall._meta.fields]
    fieldsets = (
        (None, {"fields": ("public_id", "org", "operation", "provider", "endpoint_id", "status", "error")}),
        ("Provider", {"fields": ("request_id", "queue_position", "attempts", "polls", "handler")}),
        (
            "Timings",
            {
                "fields": (
                    "created_at",
                    "submitted_at",
                    "started_at",
                    "finished_at",
                    "handled_at",
                    "deadline_at",
                    "next_poll_at",
                    "webhook_received_at",
                )
            },
        ),
        ("Data", {"fields": ("input", "output")}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Error")
    def short_error(self, call):
        return (call.error[:80] + "…") if len(call.error) > 80 else call.error

    @admin.action(description="Cancel the selected calls (the job fails and its credits return)")
    def cancel_calls(self, request, queryset):
        with transaction.atomic():
            done = sum(gateway.call_cancel(call, reason="Cancelled by support.") for call in queryset)
        self.message_user(request, f"Cancelled {done} call(s); finished calls were left alone.", messages.SUCCESS)

    @admin.action(description="Check the selected calls with the provider now")
    def check_calls(self, request, queryset):
        for call in queryset.filter(status__in=ProviderCall.AT_PROVIDER):
            gateway.call_poll(call.pk)
        self.message_user(request, "Asked the provider about the selected calls that were in flight.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("received_at", "provider", "delivery_id", "call")
    list_filter = ("provider",)
    search_fields = ("delivery_id",)
    readonly_fields = ("provider", "delivery_id", "call", "received_at", "payload")

    def has_add_permission(self, request):
        return False
