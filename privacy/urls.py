from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/exports/<str:token>/", views.export_download, name="export_download"),
    path("account/delete/", views.account_delete, name="account_delete"),
]

# Settings → Data & privacy is one of the organisation's settings pages: config/urls.py names
# these in the "orgs" namespace, beside orgs:settings and orgs:billing.
org_urlpatterns = [
    path("o/<slug:org_slug>/settings/privacy/", views.privacy, name="privacy"),
    path("o/<slug:org_slug>/settings/privacy/export/", views.data_export_create, name="data_export_create"),
    path(
        "o/<slug:org_slug>/settings/privacy/exports/<uuid:public_id>/",
        views.data_export_status,
        name="data_export_status",
    ),
    path("o/<slug:org_slug>/settings/privacy/delete/", views.org_delete, name="org_delete"),
    path("o/<slug:org_slug>/settings/privacy/delete/undo/", views.org_delete_undo, name="org_delete_undo"),
]
