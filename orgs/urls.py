from django.urls import path

from orgs import views, views_audit

app_name = "orgs"

urlpatterns = [
    path("o/<slug:org_slug>/", views.dashboard, name="dashboard"),
    path("o/<slug:org_slug>/settings/", views.org_settings, name="settings"),
    path("o/<slug:org_slug>/settings/members/", views.members, name="members"),
    path("o/<slug:org_slug>/settings/members/invite/", views.invite, name="invite"),
    path("o/<slug:org_slug>/settings/members/leave/", views.leave, name="leave"),
    path("o/<slug:org_slug>/settings/members/<uuid:public_id>/role/", views.member_role, name="member_role"),
    path("o/<slug:org_slug>/settings/members/<uuid:public_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "o/<slug:org_slug>/settings/members/<uuid:public_id>/make-owner/",
        views.ownership_transfer,
        name="ownership_transfer",
    ),
    path(
        "o/<slug:org_slug>/settings/invitations/<uuid:public_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "o/<slug:org_slug>/settings/invitations/<uuid:public_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "o/<slug:org_slug>/settings/requests/<uuid:public_id>/approve/",
        views.join_request_approve,
        name="join_request_approve",
    ),
    path(
        "o/<slug:org_slug>/settings/requests/<uuid:public_id>/decline/",
        views.join_request_decline,
        name="join_request_decline",
    ),
    path("o/<slug:org_slug>/settings/audit-log/", views_audit.audit_log, name="audit_log"),
    path("o/<slug:org_slug>/settings/audit-log.csv", views_audit.audit_log_csv, name="audit_log_csv"),
]
