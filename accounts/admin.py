from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import QuestionnaireResponse, User

# A tuple: it is both `fields` and `readonly_fields`, whose declared types only share tuples.
QUESTIONNAIRE_FIELDS = (
    "version",
    "skipped",
    "role",
    "team_size",
    "primary_goal",
    "monthly_volume",
    "heard_from",
    "created_at",
)


class QuestionnaireInline(admin.TabularInline):
    model = QuestionnaireResponse
    extra = 0
    can_delete = False
    fields = QUESTIONNAIRE_FIELDS
    readonly_fields = QUESTIONNAIRE_FIELDS


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "name", "is_staff", "is_active", "onboarded_at", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", ("onboarded_at", admin.EmptyFieldListFilter), "date_joined"]
    search_fields = ["email", "name", "memberships__org__name"]
    readonly_fields = ["date_joined", "last_login", "onboarded_at", "welcomed_at"]
    inlines = [QuestionnaireInline]  # orgs/admin.py puts the user's memberships first
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "last_org", "onboarded_at", "welcomed_at"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    raw_id_fields = ["last_org"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "version",
        "skipped",
        "role",
        "team_size",
        "primary_goal",
        "monthly_volume",
        "heard_from",
        "created_at",
    ]
    list_filter = [
        "version",
        "skipped",
        "role",
        "team_size",
        "primary_goal",
        "monthly_volume",
        "heard_from",
        "created_at",
    ]
    search_fields = ["user__email", "heard_from_detail"]
    readonly_fields = [f.name for f in QuestionnaireResponse._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False
