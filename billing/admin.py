from django.contrib import admin

from billing.models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "price_cents",
        "monthly_credits",
        "credits_recur",
        "max_characters",
        "storage_bytes",
        "seats",
        "is_public",
        "is_default",
        "position",
    ]
    list_editable = ["position", "is_public"]
    search_fields = ["name", "slug", "stripe_price_id"]
