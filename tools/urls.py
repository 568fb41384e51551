from django.urls import path

from tools.views import audio, grade, jobs, mesh, roto

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
    # Rotoscoping: choose a video, its range, and watch the job.
    path(T + "roto/", roto.roto_choose, name="roto_choose"),
    path(LIB + "roto/", roto.roto_asset, name="roto"),
    path(T + "roto/<uuid:public_id>/", roto.roto_job, name="roto_job"),
    path(T + "roto/<uuid:public_id>/card/", roto.roto_job_card, name="roto_job_card"),
    path(T + "roto/<uuid:public_id>/cancel/", roto.roto_job_cancel, name="roto_job_cancel"),
    path(T + "roto/<uuid:public_id>/retry/", roto.roto_job_retry, name="roto_job_retry"),
]

# Image → 3D: choose an image, make its model, watch the job; any 3D model in the library in the viewer.
urlpatterns += [
    path(T + "3d/", mesh.choose, name="mesh_choose"),
    path(LIB + "3d/", mesh.make, name="mesh_make"),
    path(LIB + "model/", mesh.viewer, name="mesh_viewer"),
    path(T + "3d/jobs/<uuid:public_id>/", mesh.job, name="mesh_job"),
    path(T + "3d/jobs/<uuid:public_id>/card/", mesh.job_card, name="mesh_job_card"),
    path(T + "3d/jobs/<uuid:public_id>/cancel/", mesh.job_cancel, name="mesh_job_cancel"),
    path(T + "3d/jobs/<uuid:public_id>/retry/", mesh.job_retry, name="mesh_job_retry"),
]
