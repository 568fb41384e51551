from django.urls import path

from api import views

# Settings → Developers is one of the organisation's settings pages: config/urls.py names these in
# the "orgs" namespace, beside orgs:settings and orgs:audit_log.
# The extension's connect page: /extension/connect/ (config/urls.py) lists the organisations;
# approving one is an organisation page.
org_urlpatterns = [
    path("o/<slug:org_slug>/extension/connect/", views.extension_connect_approve, name="extension_connect"),
    path("o/<slug:org_slug>/settings/developers/", views.developers, name="developers"),
    path("o/<slug:org_slug>/settings/developers/keys/", views.api_key_create, name="api_key_create"),
    path(
        "o/<slug:org_slug>/settings/developers/keys/<uuid:public_id>/revoke/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
    path("o/<slug:org_slug>/settings/developers/webhooks/", views.webhook_create, name="webhook_create"),
    path(
        "o/<slug:org_slug>/settings/developers/webhooks/<uuid:public_id>/delete/",
        views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "o/<slug:org_slug>/settings/developers/webhooks/<uuid:public_id>/test/",
        views.webhook_test,
        name="webhook_test",
    ),
    path(
        "o/<slug:org_slug>/settings/developers/deliveries/<uuid:public_id>/resend/",
        views.webhook_resend,
        name="webhook_resend",
    ),
]
