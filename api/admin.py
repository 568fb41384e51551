from django.contrib import admin

from api.models import ApiKey, WebhookDelivery, WebhookEndpoint


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "org", "created_by", "scopes", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "key_id", "org__name", "created_by__email"]
    readonly_fields = [f.name for f in ApiKey._meta.fields if f.name != "secret_hash"]
    exclude = ["secret_hash"]

    def has_add_permission(self, request):
        return False  # keys are made in Settings → Developers, where the whole key is shown once


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "org", "created_at", "disabled_at"]
    search_fields = ["url", "org__name"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "org", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id", "endpoint__url", "org__name"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
