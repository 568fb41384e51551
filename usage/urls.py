from django.urls import path

from usage import views

app_name = "usage"

urlpatterns = [
    path("o/<slug:org_slug>/usage/", views.usage, name="usage"),
    path("o/<slug:org_slug>/usage/daily.csv", views.usage_daily_csv, name="daily_csv"),
    path("o/<slug:org_slug>/usage/operations.csv", views.usage_operations_csv, name="operations_csv"),
]
