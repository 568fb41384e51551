"""One row per request we make to an AI provider, and one per webhook delivery we accepted."""

from __future__ import annotations

import secrets

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import PublicIdModel


def _webhook_token() -> str:
    return secrets.token_urlsafe(24)


class ProviderCall(PublicIdModel):
    """A request to a provider's queue, from submit to its result.

    ``status`` moves ``pending → submitting → queued → running → succeeded | failed | cancelled``
    by compare-and-set updates (see ``providers.gateway``). The domain job that made the call
    names a ``handler`` (registered in ``providers.handlers``) that the gateway calls when the call
    starts running and when it finishes.

    ``sent_at`` is committed just before the request goes out: from then on the call is never
    submitted again (the provider may have queued it and would bill a second one). The cost fields
    say what the provider charges for it (``providers.prices``), filled in when it finishes.
    ``subject`` is what the call works for (a job, or one image of a pack): every call of a
    describe → generate → try-on chain, and of every retry, names it, so what an asset truly cost
    can be added up when it is delivered.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUBMITTING = "submitting", "Submitting"
        QUEUED = "queued", "In the provider's queue"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.PENDING, Status.SUBMITTING, Status.QUEUED, Status.RUNNING)
    AT_PROVIDER = (Status.SUBMITTING, Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    org = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    operation = models.CharField(max_length=40, help_text="Registry key, e.g. upscale.")
    provider = models.CharField(max_length=20)
    endpoint_id = models.CharField(max_length=200)
    input = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    request_id = models.CharField(max_length=200, null=True, blank=True)
    queue_position = models.PositiveIntegerField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Submit attempts.")
    handler = models.CharField(max_length=200, help_text="Name of the registered handler (providers.handlers).")
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="What it works for."
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    webhook_token = models.CharField(max_length=64, default=_webhook_token, unique=True, editable=False)
    webhook_requested = models.BooleanField(
        default=False, help_text="Whether the request was sent with our webhook URL (a lost answer can still arrive)."
    )
    webhook_received_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the request went out; a sent call is never submitted again."
    )
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="When the provider's request id was saved.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True, help_text="When the domain handler settled it.")
    deadline_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True, help_text="What the provider charges; empty: unknown."
    )
    billed_units = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    cost_unit = models.CharField(max_length=20, blank=True, help_text="megapixel, request, step, video second …")
    cost_source = models.CharField(
        max_length=12, blank=True, choices=[("price table", "Price table"), ("provider", "Provider")]
    )
    cost_note = models.CharField(max_length=200, blank=True, help_text="Why the cost is what it is, when not obvious.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "request_id"],
                condition=models.Q(request_id__isnull=False),
                name="call_request_once",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_poll_at"], name="call_poll_due"),
            models.Index(fields=["status", "deadline_at"], name="call_deadline"),
            models.Index(fields=["subject_type", "subject_id"], name="call_subject"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.endpoint_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration(self):
        if self.submitted_at and self.finished_at:
            return self.finished_at - self.submitted_at
        return None


class WebhookDelivery(models.Model):
    """A verified webhook we received, so a redelivery is recognised and changes nothing.

    A delivery is ``parked`` (the reason is said) when it needs a person: no call matches its token
    (a deleted call, another environment sharing the account), or it brought a result for a call
    we had already given up on. We still answer 200, so the provider stops retrying.
    """

    provider = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=200)
    call = models.ForeignKey(ProviderCall, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks")
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(null=True, blank=True)
    parked = models.CharField(max_length=200, blank=True, help_text="Why staff should look at it; empty: handled.")

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "delivery_id"], name="webhook_delivery_once")]

    def __str__(self):
        return f"{self.provider} {self.delivery_id}"
