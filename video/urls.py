from django.urls import path

from video.views import animate, batch, jobs, make

app_name = "video"

V = "o/<slug:org_slug>/video/"
LIB = "o/<slug:org_slug>/library/<uuid:public_id>/"
ANIMATION = V + "animations/<uuid:public_id>/"

urlpatterns = [
    path(V, jobs.home, name="home"),
    # From a library item.
    path(LIB + "video/", make.make, name="make"),
    path(LIB + "video-upscale/", make.video_upscale, name="upscale"),
    path(LIB + "animate/", animate.start, name="animate"),
    # The library's batch sidebar: one job per selected item.
    path("o/<slug:org_slug>/library/batches/<slug:action>/", batch.batch_start, name="batch"),
    path("o/<slug:org_slug>/library/batches/<slug:action>/panel/", batch.batch_panel, name="batch_panel"),
    # Video jobs.
    path(V + "jobs/<uuid:public_id>/", jobs.job, name="job"),
    path(V + "jobs/<uuid:public_id>/card/", jobs.job_card, name="job_card"),
    path(V + "jobs/<uuid:public_id>/cancel/", jobs.job_cancel, name="job_cancel"),
    path(V + "jobs/<uuid:public_id>/retry/", jobs.job_retry, name="job_retry"),
    # Animations, step by step.
    path(ANIMATION, animate.pipeline, name="pipeline"),
    path(ANIMATION + "step/", animate.pipeline_step, name="pipeline_step"),
    path(ANIMATION + "cancel/", animate.pipeline_cancel, name="pipeline_cancel"),
]
