"""Safety events (every refusal of the minors screen: who, where, what, which rule) and account
reviews (an account that keeps trying is flagged for staff, PRODUCT.md §9)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import OrgQuerySet, PublicIdModel, TimeStampedModel


class SafetyEvent(PublicIdModel):
    """One refusal: the text, the words that decided it (as typed and as the rules read them),
    the rule, who decided (rules, moderation, policy) and where it came from."""

    org = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    where = models.CharField(max_length=40, help_text="studio, api, character, caption, inpaint, provider:… ")
    field = models.CharField(max_length=40, blank=True, help_text="The form field, when there is one.")
    text = models.TextField()
    matched = models.CharField(max_length=200, help_text="The words that decided it, as typed.")
    normalised = models.CharField(max_length=200, blank=True, help_text="The same words as the rules read them.")
    rule = models.CharField(max_length=20, blank=True, help_text="age, minor_word, school, youthful, moderation")
    decided_by = models.CharField(max_length=12, default="rules", help_text="rules, moderation or policy")
    reason = models.CharField(max_length=200, blank=True, help_text="The moderator's reason.")
    nsfw = models.BooleanField(default=False, help_text="Whether adult content was asked for.")
    reference = models.CharField(max_length=100, blank=True, help_text="What it belonged to, e.g. a provider call.")

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="safetyevent_user_newest")]

    def __str__(self):
        return f"Refused “{self.matched}” ({self.where})"


class AccountReview(TimeStampedModel):
    """An account flagged for staff review after repeated refusals; staff clear it in the admin."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        CLEARED = "cleared", "Cleared"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_reviews")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    refusals = models.PositiveIntegerField(default=0, help_text="Refusals counted since the flag was raised.")
    last_refusal_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, help_text="What staff found.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="open"), name="accountreview_one_open_per_user"
            )
        ]

    def __str__(self):
        return f"Safety review of {self.user} ({self.get_status_display()})"
