from django.urls import path

from identity import views

app_name = "identity"

K = "o/<slug:org_slug>/keepers/<uuid:public_id>/"
A = "o/<slug:org_slug>/library/<uuid:public_id>/"
C = "o/<slug:org_slug>/characters/<uuid:public_id>/"

urlpatterns = [
    path("o/<slug:org_slug>/studio/<uuid:public_id>/keepers/", views.keepers_new, name="keepers_new"),
    path(K, views.keepers_run, name="keepers"),
    path(K + "status/", views.keepers_status, name="keepers_status"),
    path(K + "cancel/", views.keepers_cancel, name="keepers_cancel"),
    path(A + "identity/", views.asset_identity, name="asset_identity"),
    path(A + "lineage/", views.asset_lineage, name="asset_lineage"),
    path(A + "rerun/", views.asset_rerun, name="asset_rerun"),
    path(C + "identity/", views.character_identity, name="character_identity"),
    path(C + "identity/compute/", views.reference_compute, name="reference_compute"),
]
