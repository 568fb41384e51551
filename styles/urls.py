from django.urls import path

from styles import views

app_name = "styles"

S = "o/<slug:org_slug>/styles/"
STYLE = S + "<uuid:public_id>/"

urlpatterns = [
    path("o/<slug:org_slug>/library/<uuid:public_id>/style/", views.extract, name="extract"),
    path("o/<slug:org_slug>/library/styles/", views.extract_many, name="extract_many"),
    path(S, views.styles, name="list"),
    path(STYLE, views.detail, name="detail"),
    path(STYLE + "status/", views.status, name="status"),
    path(STYLE + "studio/", views.studio, name="studio"),
    path(STYLE + "delete/", views.delete, name="delete"),
]
