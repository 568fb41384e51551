from django.urls import path

from datasets import views

app_name = "datasets"

D = "o/<slug:org_slug>/datasets/"
ONE = D + "<uuid:public_id>/"

urlpatterns = [
    path(D + "new/", views.build_new, name="new"),
    path(D + "import/", views.build_import, name="import"),
    path(ONE, views.build_detail, name="build"),
    path(ONE + "progress/", views.build_progress, name="progress"),
    path(ONE + "faces/upload/", views.photos_upload, {"role": "source"}, name="upload_source"),
    path(ONE + "bodies/upload/", views.photos_upload, {"role": "target"}, name="upload_target"),
    path(ONE + "faces/<uuid:source_id>/remove/", views.source_remove, name="remove_source"),
    path(ONE + "bodies/<uuid:target_id>/remove/", views.target_remove, name="remove_target"),
    path(ONE + "run/", views.run_start, name="run"),
    path(ONE + "runs/<uuid:build_run_id>/cancel/", views.run_cancel, name="cancel"),
    path(ONE + "targets/<uuid:target_id>/redo/", views.target_redo, name="redo"),
    path(ONE + "targets/<uuid:target_id>/review/", views.target_review, name="review"),
    path(ONE + "accept/", views.accept_all, name="accept_all"),
    path(ONE + "hand-over/", views.hand_over, name="hand_over"),
    path(ONE + "export/", views.export, name="export"),
]
