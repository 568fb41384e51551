from django.urls import path

from assets import views

app_name = "assets"

P = "o/<slug:org_slug>/library/"

urlpatterns = [
    path(P, views.library, name="library"),
    path(P + "bulk/", views.bulk, name="bulk"),
    path(P + "collections/", views.collections, name="collections"),
    path(P + "collections/<uuid:public_id>/", views.collection_detail, name="collection"),
    path(P + "collections/<uuid:public_id>/edit/", views.collection_update, name="collection_update"),
    path(P + "collections/<uuid:public_id>/delete/", views.collection_delete, name="collection_delete"),
    path(P + "uploads/", views.upload_start, name="upload_start"),
    path(P + "uploads/<uuid:public_id>/", views.upload_status, name="upload_status"),
    path(P + "uploads/<uuid:public_id>/data/", views.upload_data, name="upload_data"),
    path(P + "uploads/<uuid:public_id>/complete/", views.upload_complete, name="upload_complete"),
    path(P + "uploads/<uuid:public_id>/cancel/", views.upload_cancel, name="upload_cancel"),
    path(P + "exports/<uuid:public_id>/", views.export_status, name="export_status"),
    path(P + "exports/<uuid:public_id>/download/", views.export_download, name="export_download"),
    path(P + "<uuid:public_id>/", views.asset_detail, name="detail"),
    path(P + "<uuid:public_id>/rename/", views.asset_rename, name="rename"),
    path(P + "<uuid:public_id>/tags/", views.asset_tags, name="tags"),
    path(P + "<uuid:public_id>/like/", views.asset_like, name="like"),
    path(P + "<uuid:public_id>/delete/", views.asset_delete, name="delete"),
    path(P + "<uuid:public_id>/collections/", views.asset_collection_toggle, name="collection_toggle"),
    path(P + "<uuid:public_id>/download/", views.asset_download, name="download"),
]

media_urlpatterns = [
    path("media/<str:token>/", views.media_serve, name="media_serve"),
    # For JSON API clients (a key, no session) and AI providers fetching an input while they
    # work: the signature is the credential.
    path("media/a/<str:token>/", views.media_api, name="media_api"),
    path("media/p/<str:token>/", views.media_provider, name="media_provider"),
]
