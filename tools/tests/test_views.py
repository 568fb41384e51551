"""The Tools pages: the section, grading a library item, uploading a LUT, audio uploads and
batches, a job's page with before and after, and the Tools card on a library item."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.services import credits_available
from core.jobs import JobStatus
from core.tests.pages import text_of
from tools import luts
from tools.models import Lut, ToolJob
from tools.tests import fixtures


def test_the_tools_section_is_in_the_nav_and_says_where_to_start(login, org):
    page = login("viewer").get(reverse("tools:home", args=[org.slug]))
    assert page.status_code == 200
    text = text_of(page)
    assert "Colour grading" in text
    assert "Audio cleanup" in text
    assert "No tool has run yet" in text
    assert reverse("tools:home", args=[org.slug]) in page.content.decode()


def test_the_grade_page_offers_every_look_and_slider(login, org, photo):
    page = login("member").get(reverse("tools:grade", args=[org.slug, photo.public_id]))
    html = page.content.decode()
    for preset in luts.PRESETS.values():
        assert f'value="{preset.slug}"' in html
        assert f"tools/luts/{preset.filename}" in html
    for slider in ("exposure", "contrast", "saturation", "temperature", "tint"):
        assert f'name="{slider}"' in html
    assert "15 credits" in text_of(page)


def test_grading_from_the_page_runs_the_job_and_shows_before_and_after(
    login, org, photo, fund, django_capture_on_commit_callbacks
):
    fund(50)
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tools:grade", args=[org.slug, photo.public_id]), {"look": "moody", "saturation": "-20"}
        )
    job = ToolJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.status == JobStatus.SUCCEEDED, job.error
    page = client.get(job.get_absolute_url())
    html = page.content.decode()
    assert "data-before" in html
    assert "data-after" in html
    assert "Moody" in text_of(page)
    card = client.get(reverse("tools:job_card", args=[org.slug, job.public_id]))
    assert card.status_code == 286  # finished: the page stops polling


def test_a_grade_that_changes_nothing_is_shown_again_with_the_reason(login, org, photo, fund):
    fund(50)
    response = login("member").post(reverse("tools:grade", args=[org.slug, photo.public_id]), {"look": ""})
    assert response.status_code == 400
    assert "changes nothing" in text_of(response)
    assert credits_available(org) == 50


def test_a_corrupt_cube_is_refused_on_the_page_naming_the_line(login, org, photo):
    bad = SimpleUploadedFile("Broken.cube", b"LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 one 0\n")
    response = login("member").post(
        reverse("tools:lut_upload", args=[org.slug]), {"asset": str(photo.public_id), "cube": bad}
    )
    assert response.status_code == 400
    assert "“Broken.cube” can't be used. Line 4: “0 one 0” isn't three numbers." in text_of(response)
    assert not Lut.objects.exists()


def test_an_uploaded_cube_joins_the_looks_and_is_served_for_the_preview(login, org, photo):
    client = login("member")
    text = luts.write_cube(luts.identity_grid(3), "Mine")
    response = client.post(
        reverse("tools:lut_upload", args=[org.slug]),
        {"asset": str(photo.public_id), "cube": SimpleUploadedFile("Film.cube", text.encode())},
    )
    lut = Lut.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"?look=lut:{lut.public_id}")
    page = client.get(response["Location"])
    assert f'value="lut:{lut.public_id}"' in page.content.decode()
    served = client.get(reverse("tools:lut_file", args=[org.slug, lut.public_id]))
    assert served.content.decode() == text


def test_uploading_recordings_and_cleaning_them_as_a_batch(login, org, fund, django_capture_on_commit_callbacks):
    fund(50)
    client = login("member")
    files = [
        SimpleUploadedFile("one.wav", fixtures.recording("wav")),
        SimpleUploadedFile("two.mp3", fixtures.recording("mp3")),
        SimpleUploadedFile("notes.txt", b"not sound"),
    ]
    page = client.post(reverse("tools:audio", args=[org.slug]), {"action": "upload", "files": files})
    assert page.status_code == 200
    assert "“notes.txt”: This isn't an MP3, WAV or M4A audio file" in text_of(page)
    ids = [str(item.public_id) for item in page.context["items"]]
    assert len(ids) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tools:audio", args=[org.slug]),
            {
                "action": "clean",
                "ids": ids,
                "highpass": "80",
                "loudness": "-16",
                "key": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
            },
        )
    assert response.status_code == 302
    jobs = list(ToolJob.objects.order_by("id"))
    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED], [j.error for j in jobs]
    assert credits_available(org) == 30
    assert {j.result.mime for j in jobs} == {"audio/wav", "audio/mpeg"}


def test_the_waveform_page_keeps_the_quiet_stretch_when_it_is_refused(login, org, recording, fund):
    fund(50)
    response = login("member").post(
        reverse("tools:audio_clean", args=[org.slug, recording.public_id]),
        {"denoise": "on", "noise_start": "1", "noise_end": "1.1"},
    )
    assert response.status_code == 400
    assert "at least 0.2 s of quiet" in text_of(response)
    assert 'value="1"' in response.content.decode()
    assert "vendor/wavesurfer/wavesurfer.min.js" in response.content.decode()


def test_the_library_item_offers_the_tools_that_fit(login, org, photo, recording, video):
    client = login("member")
    image_page = client.get(reverse("assets:detail", args=[org.slug, photo.public_id])).content.decode()
    assert reverse("tools:grade", args=[org.slug, photo.public_id]) in image_page
    assert reverse("tools:audio_clean", args=[org.slug, photo.public_id]) not in image_page
    video_page = client.get(reverse("assets:detail", args=[org.slug, video.public_id])).content.decode()
    assert reverse("tools:grade", args=[org.slug, video.public_id]) in video_page
    assert reverse("tools:audio_clean", args=[org.slug, video.public_id]) in video_page
    audio_page = client.get(reverse("assets:detail", args=[org.slug, recording.public_id])).content.decode()
    assert reverse("tools:audio_clean", args=[org.slug, recording.public_id]) in audio_page
    assert "data-asset-audio" in audio_page


def test_a_viewer_sees_jobs_but_cannot_start_one(login, org, photo):
    client = login("viewer")
    assert client.get(reverse("tools:grade", args=[org.slug, photo.public_id])).status_code == 403
    assert client.get(reverse("tools:home", args=[org.slug])).status_code == 200
