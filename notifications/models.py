"""In-app notifications: one row per person per event ("HD mode unlocked", "Training failed"), or
per group of similar events close together ("5 image edits ready"); and each person's choice of
what is also emailed to them."""

from django.conf import settings
from django.db import models

from core.models import OrgOwnedModel, TimeStampedModel


class Notification(OrgOwnedModel):
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=160)
    body = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Similar events (same ``group_key``) while this one is unread and recent are counted into it.
    group_key = models.CharField(max_length=80, blank=True)
    count = models.PositiveIntegerField(default=1, help_text="How many events it stands for.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "org", "read_at"], name="notification_unread"),
            models.Index(fields=["user", "org", "group_key", "-updated_at"], name="notification_group"),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(TimeStampedModel):
    """Whether ``user`` wants notifications of ``kind`` (a key of ``notifications.kinds``) by email
    too. No row: the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=80)
    email = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user} · {self.kind}: {'email' if self.email else 'in-app only'}"
