from django.urls import path

from providers import views

app_name = "providers"

urlpatterns = [
    path("webhooks/<slug:provider>/<str:token>/", views.webhook, name="webhook"),
]
