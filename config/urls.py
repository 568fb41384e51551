from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core import views as core_views

admin.site.site_header = "Personae support"
admin.site.site_title = "Personae support"
admin.site.index_title = "Users, organisations and onboarding"

handler403 = core_views.permission_denied

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("orgs.urls")),
    path("", include("marketing.urls")),
]

if settings.DEBUG and not settings.EMAIL_PROVIDER:
    urlpatterns += [
        path("dev/mail/", core_views.dev_mailbox, name="dev_mailbox"),
        path("dev/mail/<str:mail_id>/", core_views.dev_mailbox, name="dev_mail"),
        path("dev/mail/<str:mail_id>/html/", core_views.dev_mail_html, name="dev_mail_html"),
    ]
