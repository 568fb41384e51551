from django.urls import path

from generation.views import batch, edits, jobs, studio

app_name = "generation"

J = "o/<slug:org_slug>/jobs/"
S = "o/<slug:org_slug>/studio/"
PACK = S + "packs/<uuid:public_id>/"

urlpatterns = [
    path("o/<slug:org_slug>/library/<uuid:public_id>/upscale/", jobs.upscale, name="upscale"),
    # The library's batch sidebar.
    path("o/<slug:org_slug>/library/batch/", batch.batch, name="batch"),
    path("o/<slug:org_slug>/library/batch/panel/", batch.batch_panel, name="batch_panel"),
    path("o/<slug:org_slug>/library/<uuid:public_id>/inpaint/", edits.inpaint, name="inpaint"),
    path("o/<slug:org_slug>/library/<uuid:public_id>/clothes/", edits.clothes, name="clothes"),
    path(J + "<uuid:public_id>/", jobs.job, name="job"),
    path(J + "<uuid:public_id>/card/", jobs.job_card, name="job_card"),
    path(J + "<uuid:public_id>/cancel/", jobs.job_cancel, name="job_cancel"),
    path(J + "<uuid:public_id>/retry/", jobs.job_retry, name="job_retry"),
    # The Content Studio.
    path(S, studio.studio_home, name="studio_home"),
    path(S + "<uuid:public_id>/", studio.studio, name="studio"),
    path(S + "<uuid:public_id>/history/", studio.history, name="history"),
    path(S + "<uuid:public_id>/prompts/", studio.prompts_write, name="prompts_write"),
    path(S + "prompts/<uuid:public_id>/", studio.prompts_status, name="prompts_status"),
    path(PACK, studio.pack, name="pack"),
    path(PACK + "status/", studio.pack_status, name="pack_status"),
    path(PACK + "cancel/", studio.pack_cancel, name="pack_cancel"),
    path(PACK + "rerun/", studio.pack_rerun, name="pack_rerun"),
    path(PACK + "images/<int:position>/retry/", studio.image_retry, name="image_retry"),
    path(PACK + "images/<int:position>/rerun/", studio.image_rerun, name="image_rerun"),
]
