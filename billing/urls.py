from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("o/<slug:org_slug>/credits/", views.credits, name="credits"),
    path("o/<slug:org_slug>/billing/low-credit-email/", views.low_credit_alert, name="low_credit_alert"),
]

# The plan page is one of the organisation's settings pages, so config/urls.py names it in the
# "orgs" namespace (orgs:billing), where every link to it already points.
org_urlpatterns = [
    path("o/<slug:org_slug>/billing/", views.plans, name="billing"),
]
