from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls

from api import urls as api_urls
from api import views as api_views
from assets import urls as assets_urls
from billing import urls as billing_urls
from billing.stripe_webhooks import StripeWebhookView
from blog import views as blog_views
from config.api import api
from core import csp
from core import views as core_views
from onboarding import urls as onboarding_urls
from onboarding import views as onboarding_views
from orgs import urls as orgs_urls
from privacy import urls as privacy_urls

admin.site.site_header = "Personae support"
admin.site.site_title = "Personae support"
admin.site.index_title = "Users, organisations and onboarding"

handler403 = core_views.permission_denied

djstripe_urlpatterns = [
    path("webhook/<uuid:uuid>/", StripeWebhookView.as_view(), name="djstripe_webhook_by_uuid"),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("csp-report/", csp.report, name="csp_report"),
    path("admin/", admin.site.urls),
    # allauth's sign-up, remembering the plan picked on the pricing page (?plan=…).
    path("accounts/signup/", onboarding_views.signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("", include("onboarding.urls")),
    path("", include("accounts.urls")),
    path("", include("providers.urls")),
    path("api/v1/", api.urls),
    path("extension/connect/", api_views.extension_connect, name="extension_connect"),
    # Stripe's webhooks at dj-stripe's URL and name (/stripe/webhook/<endpoint uuid>/), served by
    # billing's view: the delivery is stored and its signature checked, then the worker processes it.
    path("stripe/", include((djstripe_urlpatterns, "djstripe"), namespace="djstripe")),
    path("", include("assets.urls")),
    path("", include("generation.urls")),
    path("", include("jobs.urls")),
    path("", include("video.urls")),
    path("", include("licensing.urls")),
    path("", include("tools.urls")),
    path("", include("billing.urls")),
    path("", include("characters.urls")),
    path("", include("styles.urls")),
    path("", include("projects.urls")),
    path("", include("datasets.urls")),
    path("", include("usage.urls")),
    path("", include("notifications.urls")),
    path("", include("privacy.urls")),
    path("", include("identity.urls")),
    path("", include(assets_urls.media_urlpatterns)),
    # One "orgs" namespace for every page of an organisation, whichever app's layer its view sits
    # in: creating or joining one is onboarding's, the plan page is billing's. Before orgs' own
    # patterns, which end in a catch-all.
    path(
        "",
        include(
            (
                onboarding_urls.org_urlpatterns
                + billing_urls.org_urlpatterns
                + privacy_urls.org_urlpatterns
                + api_urls.org_urlpatterns
                + orgs_urls.urlpatterns,
                orgs_urls.app_name,
            )
        ),
    ),
    path("", include("marketing.urls")),
    path("cms/login/", blog_views.cms_login, name="cms_login"),  # before Wagtail's own login form
    path("cms/", include(wagtailadmin_urls)),
]

if settings.STRIPE_LOCAL:
    # The local test-mode Stripe (no STRIPE_SECRET_KEY): its API, checkout, portal and invoices.
    urlpatterns += [path("", include("stripe_local.urls"))]

if settings.DEBUG and not settings.EMAIL_PROVIDER:
    urlpatterns += [
        path("dev/mail/", core_views.dev_mailbox, name="dev_mailbox"),
        path("dev/mail/<str:mail_id>/", core_views.dev_mailbox, name="dev_mail"),
        path("dev/mail/<str:mail_id>/html/", core_views.dev_mail_html, name="dev_mail_html"),
    ]

# Last: Wagtail answers every path under /blog/ from its page tree.
urlpatterns += [path("blog/", include("blog.urls"))]
