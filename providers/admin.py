"""Support staff: every provider call with its input, output, request id, attempts, timings, error
and cost; webhook deliveries, with the parked ones to look at; and a health page per endpoint."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path

from providers import gateway, selectors
from providers.models import ProviderCall, WebhookDelivery


class WebhookInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("delivery_id", "received_at", "parked", "payload")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProviderCall)
class ProviderCallAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "org",
        "operation",
        "provider",
        "status",
        "attempts",
        "request_id",
        "cost",
        "short_error",
    )
    list_filter = ("status", "provider", "operation", "endpoint_id")
    search_fields = ("request_id", "public_id", "org__name", "org__slug", "error")
    date_hierarchy = "created_at"
    list_select_related = ("org",)
    inlines = [WebhookInline]
    actions = ["cancel_calls", "check_calls"]  # retrying is per job: Edit jobs → retry
    readonly_fields = [f.name for f in ProviderCall._meta.fields]
    fieldsets = (
        (None, {"fields": ("public_id", "org", "operation", "provider", "endpoint_id", "status", "error")}),
        ("Provider", {"fields": ("request_id", "queue_position", "attempts", "polls", "handler")}),
        ("Cost", {"fields": ("cost_usd", "billed_units", "cost_unit", "cost_source", "cost_note")}),
        (
            "Timings",
            {
                "fields": (
                    "created_at",
                    "sent_at",
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

    def get_urls(self):
        health = path("health/", self.admin_site.admin_view(self.health_view), name="providers_providercall_health")
        return [health, *super().get_urls()]

    def health_view(self, request):
        """Per endpoint over the last hour: calls, errors, latency and spend."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Provider health, last hour",
            "opts": self.model._meta,
            "rows": selectors.endpoint_health(),
        }
        return TemplateResponse(request, "admin/providers/providercall/health.html", context)

    @admin.display(description="Cost", ordering="cost_usd")
    def cost(self, call):
        return "—" if call.cost_usd is None else f"${call.cost_usd:.4f}"

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


class ParkedFilter(admin.SimpleListFilter):
    title = "parked"
    parameter_name = "parked"

    def lookups(self, request, model_admin):
        return [("yes", "Parked (needs a look)"), ("no", "Handled")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(parked="")
        if self.value() == "no":
            return queryset.filter(parked="")
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("received_at", "provider", "delivery_id", "call", "parked")
    list_filter = (ParkedFilter, "provider")
    search_fields = ("delivery_id",)
    readonly_fields = ("provider", "delivery_id", "call", "received_at", "parked", "payload")

    def has_add_permission(self, request):
        return False
