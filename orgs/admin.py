from django.contrib import admin

from accounts.admin import UserAdmin
from accounts.models import User
from orgs.models import Invitation, JoinRequest, Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "email", "member_count", "allow_join_requests", "created_at"]
    list_filter = ["plan", "allow_join_requests", "created_at"]
    search_fields = ["name", "slug", "email", "=public_id", "memberships__user__email"]
    readonly_fields = ["public_id", "created_at", "updated_at", "plan_selected_at"]
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline]
    date_hierarchy = "created_at"

    @admin.display(description="members")
    def member_count(self, obj):
        return obj.memberships.count()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "org", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "org__name", "org__slug"]
    autocomplete_fields = ["user", "org"]
    readonly_fields = ["public_id", "created_at", "updated_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "org", "role", "status", "invited_by", "expires_at", "created_at"]
    list_filter = ["status", "role", "created_at", "expires_at"]
    search_fields = ["email", "org__name", "org__slug", "invited_by__email"]
    readonly_fields = ["public_id", "token_hash", "created_at", "updated_at", "accepted_by", "accepted_at"]
    raw_id_fields = ["org", "invited_by"]
    date_hierarchy = "created_at"


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "org", "status", "role", "decided_by", "decided_at", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "org__name", "org__slug", "message"]
    readonly_fields = ["public_id", "created_at", "updated_at", "decided_at"]
    raw_id_fields = ["org", "user", "decided_by"]
    date_hierarchy = "created_at"


class UserMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["org", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["org"]


# A user's page lists their organisations first. accounts sits below orgs, so orgs adds the inline.
admin.site.unregister(User)


@admin.register(User)
class UserWithMembershipsAdmin(UserAdmin):
    inlines = [UserMembershipInline, *UserAdmin.inlines]
