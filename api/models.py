"""API keys (``Authorization: Bearer pk_live_…``), webhook endpoints and their delivery log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from core.models import OrgOwnedModel


class Scope(models.TextChoices):
    READ = "read", "Read"
    ASSETS_WRITE = "assets:write", "Write assets"
    GENERATE = "generate", "Generate"
    CHARACTERS_WRITE = "characters:write", "Manage characters"
    BILLING_READ = "billing:read", "Billing read"


SCOPE_DESCRIPTIONS = {
    Scope.READ: "List and read assets, collections, characters and jobs.",
    Scope.ASSETS_WRITE: "Upload assets, change their tags and collections, delete them; make collections.",
    Scope.GENERATE: "Start and cancel packs, edits and videos. Spends credits.",
    Scope.CHARACTERS_WRITE: "Create and edit characters; start and cancel training (spends credits).",
    Scope.BILLING_READ: "Read the credit balance and its history.",
}


class ApiKey(OrgOwnedModel):
    """A secret that acts for the person who made it, in one organisation, within its scopes.

    Only ``key_id`` (public, in the key itself) and an HMAC of the secret part are stored; the
    whole key is shown once, when it is made."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def prefix(self) -> str:
        """What the settings page shows of the key: enough to recognise it, nothing to use."""
        return f"{settings.API_KEY_PREFIX}{self.key_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def scope_labels(self) -> list[str]:
        return [Scope(s).label for s in self.scopes if s in Scope.values]


class WebhookEndpoint(OrgOwnedModel):
    """A customer's URL that receives signed job events (Standard Webhooks)."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=500, help_text="Checked by api.webhooks.url_problem: https, public addresses.")
    description = models.CharField(max_length=120, blank=True)
    # ``whsec_`` + base64: the receiver verifies with it, so it is kept (not hashed) to sign with.
    secret = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(OrgOwnedModel):
    """One event sent (or being sent) to one endpoint, with how its attempts went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The Standard Webhooks ``webhook-id``: the same on every attempt and resend, so receivers dedupe.
    message_id = models.CharField(max_length=60)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhookdelivery_once_per_endpoint")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
