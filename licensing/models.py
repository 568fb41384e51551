"""Likeness licensing (issue #22): a creator offers their trained character to other organisations
under versioned terms; a licence snapshots the terms; every delivered image accrues a royalty
(money owed to the creator, in exact Decimal dollars); payouts move the balance by Stripe Transfer."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.models import OrgOwnedModel

USES = [("personal", "Personal"), ("commercial", "Commercial"), ("advertising", "Advertising")]
USE_KEYS = [key for key, _label in USES]


class CreatorProfile(OrgOwnedModel):
    """A person offering their likeness: the character trained from their photos, the consent they
    gave, and the Stripe Express account royalties are paid to."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    # Deleting the character ends the offer: licences can't make images any more; the royalty
    # records and what is owed stay.
    character = models.OneToOneField(
        "characters.Character", null=True, on_delete=models.SET_NULL, related_name="creator"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    display_name = models.CharField(max_length=80)
    bio = models.TextField(max_length=1000, blank=True)
    samples = models.ManyToManyField("assets.Asset", blank=True, related_name="+")
    consent_version = models.CharField(max_length=20)
    consent_text = models.TextField(help_text="The exact consent text accepted.")
    consent_email = models.EmailField(help_text="Kept if the user is deleted.")
    consented_at = models.DateTimeField()
    stripe_account_id = models.CharField(max_length=60, blank=True)
    payouts_enabled = models.BooleanField(
        default=False, help_text="Stripe reported that the account can receive transfers (account.updated)."
    )
    listed = models.BooleanField(default=True, help_text="The creator wants to appear in the directory.")
    auto_approve = models.BooleanField(default=False)

    class Meta:
        verbose_name = "creator profile"

    def __str__(self) -> str:
        return self.display_name

    def current_terms(self) -> CreatorTerms | None:
        return self.terms.order_by("-version").first()


class CreatorTerms(models.Model):
    """One version of a creator's licensing terms. A change is a new version; licences keep theirs."""

    profile = models.ForeignKey(CreatorProfile, on_delete=models.CASCADE, related_name="terms")
    version = models.PositiveIntegerField()
    royalty_per_image = models.DecimalField(max_digits=10, decimal_places=4, help_text="US dollars per image.")
    uses = models.JSONField(default=list, help_text="personal, commercial, advertising")
    nsfw_allowed = models.BooleanField(default=False)
    monthly_limit = models.PositiveIntegerField(help_text="Images per licensee per calendar month (UTC).")
    exclusive = models.BooleanField(default=False, help_text="One licensee at a time.")
    territories = models.CharField(max_length=200, default="Worldwide")
    length_days = models.PositiveIntegerField(help_text="How long a licence lasts.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "version"], name="licensing_terms_one_version"),
            models.CheckConstraint(condition=models.Q(royalty_per_image__gte=0), name="licensing_terms_royalty_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.profile} terms v{self.version}"

    def snapshot(self) -> dict:
        return {
            "version": self.version,
            "royalty_per_image": str(self.royalty_per_image),
            "uses": list(self.uses),
            "nsfw_allowed": self.nsfw_allowed,
            "monthly_limit": self.monthly_limit,
            "exclusive": self.exclusive,
            "territories": self.territories,
            "length_days": self.length_days,
        }


class License(OrgOwnedModel):
    """An organisation's licence to a creator's likeness, under a snapshot of the terms it got."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for the creator"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")  # the licensee
    profile = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="licenses")
    terms_version = models.PositiveIntegerField()
    royalty_per_image = models.DecimalField(max_digits=10, decimal_places=4)
    uses = models.JSONField(default=list)
    nsfw_allowed = models.BooleanField(default=False)
    monthly_limit = models.PositiveIntegerField()
    exclusive = models.BooleanField(default=False)
    territories = models.CharField(max_length=200)
    length_days = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    purpose = models.TextField(max_length=1000, blank=True, help_text="What the licensee said they'll use it for.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "likeness licence"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Licence {self.public_id} to {self.profile}"

    def get_absolute_url(self) -> str:
        return reverse("licensing:license", args=[self.org.slug, self.public_id])


class LicensedPack(models.Model):
    """The licence a generation pack runs under, and the use it was started for."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="packs")
    job = models.OneToOneField("generation.GenerationJob", on_delete=models.CASCADE, related_name="licensed")
    use = models.CharField(max_length=20, choices=USES)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Pack {self.job_id} under licence {self.license_id}"


class RoyaltyEntry(models.Model):
    """Append-only: a royalty accrued for one delivered image. Money owed to the creator."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="royalties")
    profile = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="royalties")
    image = models.OneToOneField(
        "generation.GenerationImage", null=True, on_delete=models.SET_NULL, related_name="royalty"
    )
    asset = models.ForeignKey("assets.Asset", null=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    period = models.CharField(max_length=7, help_text="YYYY-MM (UTC) the image was delivered in.")
    key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "royalty entries"
        indexes = [models.Index(fields=["profile", "period"], name="licensing_royalty_period")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="licensing_royalty_gte_0")]

    def __str__(self) -> str:
        return f"${self.amount} for licence {self.license_id} ({self.period})"


class Payout(models.Model):
    """One Stripe Transfer of a creator's balance for a period; one per creator and period."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed, will be retried"

    profile = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="payouts")
    period = models.CharField(max_length=7)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    transfer_id = models.CharField(max_length=60, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["profile", "period"], name="licensing_payout_one_per_period")]

    def __str__(self) -> str:
        return f"Payout {self.period} of ${self.amount} ({self.status})"

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.amount_cents) / 100).quantize(Decimal("0.01"))
