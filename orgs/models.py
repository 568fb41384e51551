from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import PublicIdModel


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}
# Roles that occupy a paid seat; viewers are free.
SEAT_ROLES = (Role.OWNER, Role.ADMIN, Role.MEMBER)
ROLE_DESCRIPTIONS = {
    Role.OWNER: "Everything, including billing and deleting the organisation.",
    Role.ADMIN: "Manages members, invitations and settings; creates content.",
    Role.MEMBER: "Creates characters, images and videos.",
    Role.VIEWER: "Browses the library and downloads; changes nothing.",
}


class Organization(PublicIdModel):
    """The tenant. Its ``public_id`` is the org ID people type to request to join."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=60, unique=True)
    # Billing contact; dj-stripe's subscriber model reads `email`.
    email = models.EmailField("billing email")
    plan = models.ForeignKey("billing.Plan", on_delete=models.PROTECT, related_name="organizations")
    plan_selected_at = models.DateTimeField(null=True, blank=True)
    allow_join_requests = models.BooleanField(
        default=True, help_text="People who know the org ID may ask to join; an owner or admin approves."
    )
    # Adult content (PRODUCT.md §9): off until an owner switches it on and confirms they are 18+.
    adult_content = models.BooleanField(default=False)
    adult_content_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adult_content_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Retention (privacy/retention.py): a trained character's photos are deleted this many days
    # after its face model is ready; 0 keeps them until the character is deleted.
    dataset_retention_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days after training that a character's training photos are deleted; 0 keeps them."
    )
    # Deletion with a grace period (privacy/deletion.py): while ``deletion_due_at`` is set the
    # organisation is read-only; an owner can undo until then, and beat deletes it after.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    deletion_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deletion_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "organisation"

    def __str__(self):
        return self.name

    @property
    def is_pending_deletion(self) -> bool:
        return self.deletion_due_at is not None


class Membership(PublicIdModel):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="one_membership_per_user_and_org")]

    def __str__(self):
        return f"{self.user} in {self.org} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_manage_members(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def can_create(self) -> bool:
        return self.has_role(Role.MEMBER)

    @property
    def can_see_usage(self) -> bool:
        """Where the credits went, by member and character: for owners and admins."""
        return self.has_role(Role.ADMIN)


class Invitation(PublicIdModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Only a hash of the emailed token is stored; the link is the secret.
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "email"], condition=Q(status="pending"), name="one_pending_invitation_per_email"
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.org} ({self.status})"


class JoinRequest(PublicIdModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    role = models.CharField(max_length=10, choices=Role.choices, blank=True, help_text="The role granted on approval.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "user"], condition=Q(status="pending"), name="one_pending_join_request_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user} → {self.org} ({self.status})"
