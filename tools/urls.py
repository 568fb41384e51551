from django.urls import path

from tools.views import audio, grade, jobs

app_name = "tools"

T = "o/<slug:org_slug>/tools/"
LIB = "o/<slug:org_slug>/library/<uuid:public_id>/"

urlpatterns = [
    path(T, jobs.home, name="home"),
    # Colour grading.
    path(T + "grade/", grade.choose, name="grade_choose"),
    path(LIB + "grade/", grade.grade, name="grade"),
    path(T + "luts/", grade.lut_upload, name="lut_upload"),
    path(T + "luts/<uuid:lut_id>.cube", grade.lut_file, name="lut_file"),
    # Audio cleanup: the page (uploads and batches), and one recording with its waveform.
    path(T + "audio/", audio.audio_home, name="audio"),
    path(LIB + "audio/", audio.clean, name="audio_clean"),
    # Tool jobs.
    path(T + "jobs/<uuid:public_id>/", jobs.job, name="job"),
    path(T + "jobs/<uuid:public_id>/card/", jobs.job_card, name="job_card"),
    path(T + "jobs/<uuid:public_id>/cancel/", jobs.job_cancel, name="job_cancel"),
    path(T + "jobs/<uuid:public_id>/retry/", jobs.job_retry, name="job_retry"),
]
