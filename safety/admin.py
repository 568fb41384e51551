"""Staff views of safety (PRODUCT.md §9): every refusal, and the accounts flagged for review."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from safety.models import AccountReview, SafetyEvent
from safety.services import review_clear


class UnderReviewFilter(admin.SimpleListFilter):
    title = "account under review"
    parameter_name = "under_review"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        flagged = AccountReview.objects.filter(status=AccountReview.Status.OPEN).values("user_id")
        if self.value() == "yes":
            return queryset.filter(user_id__in=flagged)
        if self.value() == "no":
            return queryset.exclude(user_id__in=flagged)
        return queryset


@admin.register(SafetyEvent)
class SafetyEventAdmin(admin.ModelAdmin):
    """Text refused for naming or implying a minor: who, where, which words and rule."""

    list_display = ("created_at", "org", "user", "where", "rule", "decided_by", "matched", "short_text")
    list_filter = ("where", "rule", "decided_by", "nsfw", UnderReviewFilter)
    search_fields = ("org__name", "org__slug", "user__email", "matched", "text", "reference")
    date_hierarchy = "created_at"
    list_select_related = ("org", "user")
    readonly_fields = [f.name for f in SafetyEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Text")
    def short_text(self, event):
        return (event.text[:100] + "…") if len(event.text) > 100 else event.text


@admin.register(AccountReview)
class AccountReviewAdmin(admin.ModelAdmin):
    """Accounts with repeated refusals. Read their refusals, then clear the flag (with a note)."""

    list_display = ("user", "status", "refusals", "created_at", "last_refusal_at", "cleared_by", "events")
    list_filter = ("status",)
    search_fields = ("user__email", "note")
    list_select_related = ("user", "cleared_by")
    readonly_fields = ("user", "status", "refusals", "created_at", "last_refusal_at", "cleared_at", "cleared_by")
    fields = (*readonly_fields, "note")
    actions = ["clear"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Refusals")
    def events(self, review):
        url = reverse("admin:safety_safetyevent_changelist") + f"?user__exact={review.user_id}"
        return format_html('<a href="{}">See refusals</a>', url)

    @admin.action(description="Clear the flag on the selected accounts")
    def clear(self, request, queryset):
        cleared = sum(review_clear(review=review, by=request.user) for review in queryset)
        messages.success(request, f"Cleared {cleared} review{'s' if cleared != 1 else ''}.")
