"""The audit log: who did what, when and from where, one row per action, never changed.

Rows outlive what they describe: an organisation or person deleted keeps its entries (the
foreign keys carry no database constraint and the names are copied in), until the retention
purge removes entries older than ``AUDIT_LOG_RETENTION_DAYS``. The ORM refuses to update or
delete a row, and a database trigger (migration 0001) refuses any UPDATE or DELETE that isn't
the purge's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit import actions


class AppendOnlyError(Exception):
    """Audit entries are written once and never changed or deleted through the ORM."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries can't be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries can't be deleted; the retention purge removes old ones.")

    def for_org(self, org):
        return self.filter(org_id=org.pk)


class AuditEntry(models.Model):
    class ActorKind(models.TextChoices):
        USER = "user", "Member"
        STAFF = "staff", "Personae support"
        SYSTEM = "system", "Personae (automatic)"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and nothing done on delete: the entry outlives the organisation.
    org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    org_name = models.CharField(max_length=80, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_email = models.EmailField(blank=True, help_text="Kept when the person's account is deleted.")
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.USER)
    action = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "-created_at"], name="audit_org_newest"),
            models.Index(fields=["org", "action", "-created_at"], name="audit_org_action_newest"),
            models.Index(fields=["action", "-created_at"], name="audit_action_newest"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}: {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit entries can't be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries can't be deleted; the retention purge removes old ones.")

    @property
    def action_label(self) -> str:
        return actions.label(self.action)

    @property
    def actor_label(self) -> str:
        if self.actor_kind == self.ActorKind.SYSTEM:
            return "Personae (automatic)"
        if self.actor_kind == self.ActorKind.STAFF:
            return f"Personae support ({self.actor_email})" if self.actor_email else "Personae support"
        return self.actor_email or "A deleted account"
