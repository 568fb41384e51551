from django.urls import path

from jobs import views

app_name = "jobs"

J = "o/<slug:org_slug>/jobs/"

urlpatterns = [
    path(J, views.centre, name="centre"),
    path(J + "<slug:kind>/<uuid:public_id>/cancel/", views.cancel, name="cancel"),
    path(J + "<slug:kind>/<uuid:public_id>/retry/", views.retry, name="retry"),
]
