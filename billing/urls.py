from django.urls import path

from billing import views, views_payments

app_name = "billing"

urlpatterns = [
    path("o/<slug:org_slug>/credits/", views.credits, name="credits"),
    path("o/<slug:org_slug>/billing/low-credit-email/", views.low_credit_alert, name="low_credit_alert"),
    path("o/<slug:org_slug>/billing/subscribe/", views_payments.subscribe, name="subscribe"),
    path("o/<slug:org_slug>/billing/top-up/", views_payments.buy_topup, name="topup"),
    path("o/<slug:org_slug>/billing/portal/", views_payments.portal, name="portal"),
    path("o/<slug:org_slug>/billing/payment/", views_payments.checkout_done, name="checkout_done"),
    path("o/<slug:org_slug>/billing/updated/", views_payments.portal_done, name="portal_done"),
]

# The plan page is one of the organisation's settings pages, so config/urls.py names it in the
# "orgs" namespace (orgs:billing), where every link to it already points.
org_urlpatterns = [
    path("o/<slug:org_slug>/billing/", views.plans, name="billing"),
]
