from django.urls import path

from generation import views

app_name = "generation"

J = "o/<slug:org_slug>/jobs/"

urlpatterns = [
    path("o/<slug:org_slug>/library/<uuid:public_id>/upscale/", views.upscale, name="upscale"),
    path(J, views.jobs, name="jobs"),
    path(J + "<uuid:public_id>/", views.job, name="job"),
    path(J + "<uuid:public_id>/card/", views.job_card, name="job_card"),
    path(J + "<uuid:public_id>/cancel/", views.job_cancel, name="job_cancel"),
    path(J + "<uuid:public_id>/retry/", views.job_retry, name="job_retry"),
]
