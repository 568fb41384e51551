import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from audit import actions as audit_actions
from audit.services import record
from billing.models import BillingEmail, BillingSubscription, CreditAccount, Hold, LedgerEntry, Plan
from billing.prices import OPERATION_PRICES
from billing.services import credits_adjust, hold_release
from core.exceptions import DomainError

ADJUST_PERMISSION = "billing.adjust_credits"
STAFF_RELEASE_REASON = "Released by Personae support; the credits are yours again."


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
        "max_concurrent_jobs",
        "is_public",
        "is_default",
        "position",
    ]
    list_editable = ["position", "is_public"]
    search_fields = ["name", "slug", "stripe_price_id"]


# --- Credits: read-only views of the ledger, and the two things support may do ---------------------
# Balances change only through billing.services: an adjustment (with a reason the organisation sees)
# or releasing a stuck hold. Nothing here edits or deletes a ledger row.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CreditAdjustForm(forms.Form):
    amount = forms.IntegerField(
        label="Credits",
        help_text="A positive number adds credits, a negative one removes them (never below what jobs hold).",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text="Required. The organisation sees it on its credit history, so write it for them.",
    )
    # One rendered form, one adjustment: a double-submitted form applies once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter a number other than zero.")
        return amount


# A tuple: it is both `fields` and `readonly_fields`, whose declared types only share tuples.
CREDIT_ACCOUNT_FIELDS = ("org", "balance", "held", "available", "updated_at", "adjust_link", "history_link")


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    list_display = ["org", "org_slug", "balance", "held", "available", "updated_at", "adjust_link"]
    list_select_related = ["org"]
    search_fields = ["org__name", "org__slug", "=org__public_id"]
    ordering = ["org__name"]
    fields = CREDIT_ACCOUNT_FIELDS
    readonly_fields = CREDIT_ACCOUNT_FIELDS
    actions = ["adjust_selected"]

    def has_adjust_permission(self, request):
        return request.user.has_perm(ADJUST_PERMISSION)

    @admin.display(description="slug", ordering="org__slug")
    def org_slug(self, obj):
        return obj.org.slug

    @admin.display(description="available")
    def available(self, obj):
        return obj.available

    @admin.display(description="adjust")
    def adjust_link(self, obj):
        return format_html(
            '<a class="button" href="{}">Adjust credits</a>',
            reverse("admin:billing_creditaccount_adjust", args=[obj.pk]),
        )

    @admin.display(description="ledger")
    def history_link(self, obj):
        url = reverse("admin:billing_ledgerentry_changelist") + f"?account__id__exact={obj.pk}"
        return format_html('<a href="{}">Every ledger entry of {}</a>', url, obj.org)

    @admin.action(description="Adjust credits of the selected account", permissions=["adjust"])
    def adjust_selected(self, request, queryset):
        accounts = list(queryset[:2])
        if len(accounts) != 1:
            self.message_user(request, "Select exactly one account to adjust.", messages.WARNING)
            return None
        return redirect("admin:billing_creditaccount_adjust", accounts[0].pk)

    def get_urls(self):
        return [
            path(
                "<int:account_id>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="billing_creditaccount_adjust",
            ),
            *super().get_urls(),
        ]

    def adjust_view(self, request, account_id: int):
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        account = get_object_or_404(CreditAccount.objects.select_related("org"), pk=account_id)
        form = CreditAdjustForm(request.POST or None, initial={"key": uuid.uuid4()})
        if request.method == "POST" and form.is_valid():
            try:
                entry = _adjust_and_record(request, account, form.cleaned_data)
            except DomainError as e:
                form.add_error("amount", e.message)
            else:
                verb = "Added" if entry.amount > 0 else "Removed"
                self.message_user(
                    request,
                    f"{verb} {abs(entry.amount):,} credits {'to' if entry.amount > 0 else 'from'} {account.org}. "
                    f"Balance {entry.balance_after:,}, {entry.held_after:,} held.",
                    messages.SUCCESS,
                )
                return redirect("admin:billing_creditaccount_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust the credits of {account.org}",
            "opts": self.model._meta,
            "original": account,
            "form": form,
            "recent": account.entries.select_related("actor").order_by("-id")[:10],
        }
        return TemplateResponse(request, "admin/billing/creditaccount/adjust.html", context)


@transaction.atomic
def _adjust_and_record(request, account: CreditAccount, data: dict) -> LedgerEntry:
    """Adjust the credits and write the audit entry with it: once, also for a form sent twice."""
    key = f"admin-adjust:{data['key']}"
    repeated = LedgerEntry.objects.filter(idempotency_key=key).exists()
    entry = credits_adjust(org=account.org, amount=data["amount"], reason=data["reason"], actor=request.user, key=key)
    if not repeated:
        verb = "added" if entry.amount > 0 else "removed"
        record(
            action=audit_actions.CREDITS_ADJUSTED,
            summary=f"Personae support {verb} {abs(entry.amount):,} credits: {entry.reason}",
            org=account.org,
            actor=request.user,
            by_staff=True,
            target_type="ledgerentry",
            target_id=str(entry.pk),
            data={"amount": entry.amount, "reason": entry.reason, "balance_after": entry.balance_after},
        )
    return entry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "org",
        "kind",
        "amount",
        "held_delta",
        "balance_after",
        "held_after",
        "description",
        "actor",
        "reason",
    ]
    list_filter = ["kind", "created_at"]
    list_select_related = ["org", "actor"]
    search_fields = ["org__name", "org__slug", "idempotency_key", "description", "reason"]
    raw_id_fields = ["org", "account", "hold", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the ledger only grows; don't count it all on every page


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "org",
        "operation_label",
        "amount",
        "status",
        "captured_amount",
        "description",
        "created_by",
        "expires_at",
        "settled_at",
    ]
    list_filter = ["status", "operation", "created_at"]
    list_select_related = ["org", "created_by"]
    search_fields = ["org__name", "org__slug", "idempotency_key", "description", "=public_id"]
    date_hierarchy = "created_at"
    actions = ["release_selected"]

    def has_release_permission(self, request):
        return request.user.has_perm(ADJUST_PERMISSION)

    @admin.display(description="operation", ordering="operation")
    def operation_label(self, obj):
        price = OPERATION_PRICES.get(obj.operation)
        return price.label if price else obj.operation

    @admin.action(description="Release selected holds (give the credits back)", permissions=["release"])
    def release_selected(self, request, queryset):
        active = queryset.filter(status=Hold.Status.ACTIVE).select_related("org")
        released = sum(_release_and_record(request, hold) for hold in active)
        skipped = queryset.count() - released
        self.message_user(
            request,
            f"Released {released} hold{'s' if released != 1 else ''}."
            + (f" {skipped} already settled, left as they were." if skipped else ""),
            messages.SUCCESS if released else messages.WARNING,
        )


# --- Subscriptions (failed payments included) and billing emails: read-only, for answering ----------
# "what does Stripe say, and did we tell them?" Stripe's webhooks write these; staff change plans in Stripe.


@admin.register(BillingSubscription)
class BillingSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["org", "plan", "status", "grace_until", "current_period_end", "cancel_at_period_end"]
    list_filter = ["status", "cancel_at_period_end"]
    list_select_related = ["org", "plan"]
    search_fields = ["org__name", "org__slug", "=stripe_customer_id", "=stripe_subscription_id"]


@admin.register(BillingEmail)
class BillingEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "org", "kind", "key"]
    list_filter = ["kind"]
    list_select_related = ["org"]
    search_fields = ["org__name", "org__slug", "key"]


@transaction.atomic
def _release_and_record(request, hold: Hold) -> bool:
    """Release one hold by hand and write the audit entry with it, if it was still active."""
    if not hold_release(hold=hold, reason=STAFF_RELEASE_REASON, actor=request.user):
        return False
    record(
        action=audit_actions.HOLD_RELEASED_BY_STAFF,
        summary=f"Personae support released {hold.amount:,} held credits ({hold.description})",
        org=hold.org,
        actor=request.user,
        by_staff=True,
        target=hold,
        data={"amount": hold.amount, "operation": hold.operation},
    )
    return True
