"""Make video in the browser's terms: the page with its prices, a refusal shown next to its field with
nothing charged, a start that goes to the job page, the polled card, the asset page's Video card."""

import pytest

from billing.models import Hold
from core.tests.pages import text_of
from video.models import VideoJob

pytestmark = pytest.mark.django_db


def _url(asset, suffix="video/"):
    return f"/o/northstar/library/{asset.public_id}/{suffix}"


def test_the_page_shows_the_choices_and_their_prices(login, landscape, fund):
    fund(500)
    response = login("member").get(_url(landscape))

    page = text_of(response)
    assert response.status_code == 200
    assert "Make video" in page
    assert "Write it for me" in page
    for words in ("6 s", "8 s", "10 s", "Landscape 16:9", "1080p", "10 cr/s", "2160p", "40 cr/s"):
        assert words in page
    assert "You have 500 credits available." in page
    assert "Adult videos are made of a character that allows adult content" in page


def test_viewers_cannot_open_it(login, landscape):
    assert login("viewer").get(_url(landscape)).status_code == 403


def test_a_start_goes_to_the_job_page_and_the_card_stops_polling_when_done(
    login, landscape, fund, django_capture_on_commit_callbacks
):
    fund(100)
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(landscape),
            {"prompt": "a slow push-in", "seconds": "6", "shape": "16:9", "resolution": "1080p", "speed": "fast"},
        )
    job = VideoJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.status == "succeeded", job.error

    page = client.get(job.get_absolute_url())
    assert "Open the video" in text_of(page)
    assert "<video" in page.content.decode()
    card = client.get(f"/o/northstar/video/jobs/{job.public_id}/card/", HTTP_HX_REQUEST="true")
    assert card.status_code == 286
    assert "60 credits charged" in text_of(card)


def test_a_refusal_comes_back_with_the_reason_and_what_was_typed(login, portrait, fund):
    fund(100)
    response = login("member").post(_url(portrait), {"prompt": "a pan to the left", "seconds": "6", "shape": "16:9"})

    assert response.status_code == 400
    page = text_of(response)
    assert "crop away most of the picture" in page
    assert "a pan to the left" in response.content.decode()
    assert not Hold.objects.exists()


def test_the_asset_page_offers_make_video_for_images_and_animate_and_upscale_for_videos(
    login, landscape, reference, fund
):
    fund(1000)
    client = login("member")

    image_page = text_of(client.get(f"/o/northstar/library/{landscape.public_id}/"))
    assert "Make video…" in image_page
    assert "from 60 credits" in image_page

    video_page = client.get(f"/o/northstar/library/{reference.public_id}/")
    text = text_of(video_page)
    assert "Animate a character…" in text
    assert "Upscale video…" in text
    assert "Frame rate" in text
    assert "25 fps" in text
    assert 'id="video-upscale-dialog"' in video_page.content.decode()


def test_the_videos_page_lists_clips_and_where_to_start(login, landscape, fund, django_capture_on_commit_callbacks):
    from video import services
    from video.services import VideoRequest

    fund(100)
    with django_capture_on_commit_callbacks(execute=True):
        services.video_start(org=landscape.org, user=None, asset=landscape, request=VideoRequest(prompt="a pan"))

    page = text_of(login("viewer").get("/o/northstar/video/"))
    assert "Image → video" in page
    assert "Animate from a reference video" in page
    assert "Video · 6 s" in page
    assert "Newest videos" in page
    assert "terrace · video 6 s" in page
