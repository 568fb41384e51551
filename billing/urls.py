from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("o/<slug:org_slug>/credits/", views.credits, name="credits"),
]
