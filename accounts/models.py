from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models

from accounts import questionnaire as q


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


# The ignore: wagtail's untyped AbstractImage (blog.BlogImage) adds an FK to the user, and the
# django-stubs plugin can't build the reverse manager for a field it can't see.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person. Email is the username."""

    # None removes an inherited field (Django's documented way); the stubs type the fields as str.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    # The org the user last worked in; where "app home" takes them.
    last_org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    onboarded_at = models.DateTimeField(null=True, blank=True)
    welcomed_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs pin AbstractUser.objects to auth's UserManager (username-keyed); a custom user
    # model may use any BaseUserManager, and ours is keyed on email.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    # AbstractUser builds these from first_name/last_name, which this model doesn't have;
    # Wagtail's editor shows them (page history, "locked by").
    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def initials(self) -> str:
        source = self.name or self.email.split("@")[0]
        parts = [p for p in source.replace(".", " ").replace("_", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"


class QuestionnaireResponse(models.Model):
    """One answered (or skipped) onboarding questionnaire; the newest per user is current."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="questionnaire_responses")
    version = models.PositiveSmallIntegerField(default=q.VERSION)
    skipped = models.BooleanField(default=False)
    role = models.CharField(max_length=20, choices=q.ROLE_CHOICES, blank=True)
    team_size = models.CharField(max_length=10, choices=q.TEAM_SIZE_CHOICES, blank=True)
    primary_goal = models.CharField(max_length=30, choices=q.GOAL_CHOICES, blank=True)
    platforms = ArrayField(models.CharField(max_length=20, choices=q.PLATFORM_CHOICES), default=list, blank=True)
    monthly_volume = models.CharField(max_length=20, choices=q.VOLUME_CHOICES, blank=True)
    heard_from = models.CharField(max_length=20, choices=q.HEARD_FROM_CHOICES, blank=True)
    heard_from_detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · v{self.version}{' (skipped)' if self.skipped else ''}"
