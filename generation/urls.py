from django.urls import path

from generation.views import jobs

app_name = "generation"

J = "o/<slug:org_slug>/jobs/"

urlpatterns = [
    path("o/<slug:org_slug>/library/<uuid:public_id>/upscale/", jobs.upscale, name="upscale"),
    path(J, jobs.jobs, name="jobs"),
    path(J + "<uuid:public_id>/", jobs.job, name="job"),
    path(J + "<uuid:public_id>/card/", jobs.job_card, name="job_card"),
    path(J + "<uuid:public_id>/cancel/", jobs.job_cancel, name="job_cancel"),
    path(J + "<uuid:public_id>/retry/", jobs.job_retry, name="job_retry"),
]
