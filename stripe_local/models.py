"""The local Stripe's state: every object it hands out, stored as the JSON Stripe would return."""

from django.db import models


class StripeObject(models.Model):
    """One Stripe object (customer, price, checkout session, subscription, invoice, event, …).

    ``data`` is exactly what the API returns for it. Events also remember when they were delivered
    to the webhook endpoint, so a delivery that failed is retried by the next run."""

    id = models.CharField(primary_key=True, max_length=100)
    kind = models.CharField(max_length=40, db_index=True, help_text="Stripe's `object` value, e.g. invoice.")
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    last_delivery_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "local Stripe object"
        indexes = [
            models.Index(fields=["kind", "delivered_at"], name="stripe_local_kind_delivered"),
        ]

    def __str__(self):
        return f"{self.kind} {self.id}"
