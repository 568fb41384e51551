"""In-app notifications: one row per person per event ("HD mode unlocked", "Training failed")."""

from django.conf import settings
from django.db import models

from core.models import OrgOwnedModel


class Notification(OrgOwnedModel):
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=160)
    body = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "org", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.title
