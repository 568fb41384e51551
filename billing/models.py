import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from djstripe.models import WebhookEventTrigger


class Plan(models.Model):
    """A subscription plan. Rows are data, editable in the admin; the pricing pages read them."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    tagline = models.CharField(max_length=160, blank=True)
    price_cents = models.PositiveIntegerField(help_text="Monthly price in US cents.")
    monthly_credits = models.PositiveIntegerField(help_text="Credits granted each month (or once, see below).")
    credits_recur = models.BooleanField(default=True, help_text="Off: the credits are granted once, not monthly.")
    max_characters = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    storage_bytes = models.PositiveBigIntegerField()
    seats = models.PositiveSmallIntegerField(help_text="Members who create content (owners, admins, members).")
    max_concurrent_jobs = models.PositiveSmallIntegerField(
        default=1, help_text="Paid jobs (packs, edits, training …) that can run at the same time."
    )
    stripe_price_id = models.CharField(max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_public = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, help_text="The plan new organisations start on.")

    class Meta:
        ordering = ["position", "price_cents"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_plan")
        ]

    def __str__(self):
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def price_dollars(self) -> int | float:
        dollars = self.price_cents / 100
        return int(dollars) if dollars.is_integer() else dollars


# --- Credits ledger ------------------------------------------------------------------------------
# One CreditAccount row per organisation caches ``balance`` and ``held`` so a job can reserve with a
# single conditional UPDATE; the append-only LedgerEntry rows are the audit trail the cache must
# always agree with (billing.services.ledger_problems). Only billing.services writes these tables.


# The default low-credit alert: half the Free plan's credits, a few packs on a paid plan.
LOW_CREDIT_THRESHOLD = 50


class CreditAccount(models.Model):
    org = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, related_name="credit_account")
    balance = models.BigIntegerField(default=0, help_text="Credits the organisation has, held ones included.")
    held = models.BigIntegerField(default=0, help_text="Credits reserved by jobs that haven't finished.")
    low_credit_threshold = models.PositiveIntegerField(
        default=LOW_CREDIT_THRESHOLD,
        help_text="Owners and admins get an email when available credits fall below this; 0 turns it off.",
    )
    low_credit_armed = models.BooleanField(
        default=True,
        help_text="Off once the low-credit email is sent; on again when added credits bring it back to the threshold.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "credit account"
        constraints = [
            models.CheckConstraint(condition=Q(held__gte=0), name="credit_account_held_not_negative"),
            models.CheckConstraint(condition=Q(balance__gte=F("held")), name="credit_account_balance_covers_held"),
        ]
        permissions = [("adjust_credits", "Can adjust credits and release holds")]

    def __str__(self):
        return f"Credits of {self.org}"

    @property
    def available(self) -> int:
        return self.balance - self.held


class Hold(models.Model):
    """Credits reserved for one job: captured when it succeeds, released when it fails or expires."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CAPTURED = "captured", "Captured"
        RELEASED = "released", "Released"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="holds")
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    amount = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    idempotency_key = models.CharField(max_length=200, unique=True)
    operation = models.CharField(max_length=40, help_text="A key of billing.prices.OPERATION_PRICES.")
    description = models.CharField(max_length=300)
    # The job this hold pays for (a GenerationJob, a TrainingRun, …).
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    captured_amount = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="hold_amount_positive")]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="active"), name="hold_active_expiry"),
            models.Index(fields=["content_type", "object_id"], name="hold_subject"),
        ]

    def __str__(self):
        return f"{self.amount} credits for {self.description} ({self.status})"


class LedgerEntry(models.Model):
    """One change to an account, never edited or deleted.

    ``amount`` is the change to the balance and ``held_delta`` the change to what is held, so
    ``balance == SUM(amount)`` and ``held == SUM(held_delta)`` for every account.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        HOLD = "hold", "Hold"
        CAPTURE = "capture", "Charge"
        RELEASE = "release", "Release"
        ADJUSTMENT = "adjustment", "Adjustment"

    # Indexed by the composite indexes below.
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", db_index=False)
    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="entries", db_index=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Change to the balance.")
    held_delta = models.BigIntegerField(default=0, help_text="Change to the credits held.")
    balance_after = models.BigIntegerField()
    held_after = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.RESTRICT, related_name="entries", db_index=False
    )
    description = models.CharField(max_length=300)
    reason = models.TextField(blank=True, help_text="Why staff adjusted the balance, or why a hold was released.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        ordering = ["-id"]
        constraints = [
            # A hold has one entry of each kind: reserved once, then captured or released once.
            models.UniqueConstraint(fields=["hold", "kind"], name="one_ledger_entry_per_hold_and_kind"),
        ]
        indexes = [
            models.Index(fields=["org", "-id"], name="ledger_org_newest"),
            models.Index(fields=["org", "kind", "-id"], name="ledger_org_kind_newest"),
            models.Index(fields=["account", "id"], name="ledger_account_order"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:+d} ({self.description})"


# --- Failed payments and billing emails -----------------------------------------------------------


class BillingEmail(models.Model):
    """One billing email sent to an organisation; the unique ``key`` makes each send happen once
    however often Stripe repeats the event behind it."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        PLAN_CHANGED = "plan_changed", "Plan changed"
        LOW_CREDIT = "low_credit", "Low credits"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=200, unique=True)
    recipients = models.TextField(help_text="The addresses it went to, one a line.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["org", "kind", "-id"], name="billing_email_org_kind_newest")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.org}"


# --- Payments (Stripe) -----------------------------------------------------------------------------


class BillingSubscription(models.Model):
    """The organisation's Stripe customer and paid plan as Personae sees it, kept up to date by
    Stripe's webhooks (billing/receivers.py). App code reads this, never dj-stripe's tables."""

    class Status(models.TextChoices):
        NONE = "none", "No paid plan"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment failed"
        CANCELED = "canceled", "Cancelled"

    org = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, related_name="billing_subscription")
    stripe_customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NONE)
    amount_cents = models.PositiveIntegerField(default=0, help_text="What each renewal charges.")
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    scheduled_plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A change chosen in the portal that starts with the next period (a downgrade).",
    )
    scheduled_change_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(
        null=True, blank=True, help_text="After a failed payment: the paid plan stays on until then."
    )
    topup_credits = models.BigIntegerField(
        default=0, help_text="Top-up credits not yet spent (they never expire; plan credits are spent first)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "billing subscription"

    def __str__(self):
        return f"{self.org}: {self.get_status_display()}"


class QueuedWebhookDelivery(WebhookEventTrigger):
    """A Stripe webhook delivery as our endpoint takes it (billing/stripe_webhooks.py): dj-stripe's
    ``from_request`` records it and checks the signature as usual, but "processing" here only
    marks it for the worker, which runs dj-stripe's real processing on the plain row."""

    class Meta:
        proxy = True
        verbose_name = "queued Stripe webhook delivery"

    def process(self, save=True, api_key=None):
        self._personae_queue = True
        if save:
            self.save()
        return None
