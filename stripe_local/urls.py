from django.urls import path

from stripe_local import api, views, views_connect

app_name = "stripe_local"

urlpatterns = [
    path("local-stripe/v1/<path:resource>", api.dispatch, name="api"),
    path("local-stripe/checkout/<str:session_id>/", views.checkout, name="checkout"),
    path("local-stripe/portal/<str:session_id>/", views.portal, name="portal"),
    path("local-stripe/invoices/<str:invoice_id>/", views.invoice, name="invoice"),
    path("local-stripe/connect/<str:link_id>/", views_connect.onboarding, name="connect_onboarding"),
]
