"""Rotoscoping's pages: the Tools card and the library item's Tools card lead to it, the range page
shows the price and the plan's limit, a bad range is refused on the page with nothing held, a good
one starts the job; the job page shows the before/after pair once done."""

import pytest
from bs4 import BeautifulSoup

from assets.services import asset_create_from_bytes
from billing.services import credits_available
from core.jobs import JobStatus
from tools import roto
from tools.models import MatteJob
from tools.tests import roto_clips

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(org, people):
    return asset_create_from_bytes(org=org, data=roto_clips.moving_box(), filename="walk.mp4", created_by=people.member)


def _page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def test_the_tools_page_and_the_video_page_lead_to_it(login, org, clip, recording):
    client = login("member")
    home = _page(client.get(f"/o/{org.slug}/tools/"))
    assert home.select_one('[data-tool="roto"] a')["href"] == f"/o/{org.slug}/tools/roto/"
    chooser = _page(client.get(f"/o/{org.slug}/tools/roto/"))
    assert chooser.select_one(f'a[href="/o/{org.slug}/library/{clip.public_id}/roto/"]')
    assert "25 credits per started minute" in chooser.get_text()

    detail = _page(client.get(f"/o/{org.slug}/library/{clip.public_id}/"))
    assert detail.select_one(f'[data-asset-roto] a[href="/o/{org.slug}/library/{clip.public_id}/roto/"]')
    sound = _page(client.get(f"/o/{org.slug}/library/{recording.public_id}/"))
    assert not sound.select("[data-asset-roto]")  # a recording has nothing to cut out


def test_the_range_page_shows_the_price_and_refuses_an_audio_file(login, org, clip, recording):
    client = login("member")
    page = _page(client.get(f"/o/{org.slug}/library/{clip.public_id}/roto/"))
    form = page.select_one("form[data-roto]")
    assert form["data-per-minute"] == "25"
    assert form["data-limit"] == str(roto.plan_max_seconds(org))
    assert float(page.select_one("[data-roto-end]")["value"]) == pytest.approx(3.0, abs=0.05)
    assert page.select_one("[data-roto-cost]").get_text() == "25 credits"
    assert page.select_one("video[data-roto-video]")["src"]

    refused = _page(client.get(f"/o/{org.slug}/library/{recording.public_id}/roto/"))
    assert (
        "This is a sound recording, with no picture to cut out." in refused.select_one("[data-roto-problem]").get_text()
    )
    assert not refused.select("form[data-roto]")


def test_a_bad_range_is_refused_on_the_page_and_a_good_one_starts_the_job(login, org, clip, fund):
    fund(100)
    client = login("member")
    url = f"/o/{org.slug}/library/{clip.public_id}/roto/"

    bad = client.post(url, {"start": "2", "end": "1", "key": "0b7f5b8e-7f4e-4b8e-9a43-000000000001"})
    assert bad.status_code == 400
    assert "Choose a range of at least 0.5 s" in _page(bad).select_one("[data-roto-error]").get_text()
    junk = client.post(url, {"start": "soon", "end": "1"})
    assert junk.status_code == 400
    assert not MatteJob.objects.exists()
    assert credits_available(org) == 100

    key = "0b7f5b8e-7f4e-4b8e-9a43-000000000002"
    started = client.post(url, {"start": "0.5", "end": "2.5", "key": key})
    job = MatteJob.objects.get()
    assert started["Location"] == f"/o/{org.slug}/tools/roto/{job.public_id}/"
    assert (job.start, job.end, job.credits, job.status) == (0.5, 2.5, 25, JobStatus.QUEUED)
    client.post(url, {"start": "0.5", "end": "2.5", "key": key})  # a double click starts it once
    assert MatteJob.objects.count() == 1
    assert credits_available(org) == 75


def test_the_job_page_shows_before_and_after_once_done(login, org, clip, fund, django_capture_on_commit_callbacks):
    fund(100)
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/{org.slug}/library/{clip.public_id}/roto/", {"start": "0", "end": "2"})
    job = MatteJob.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error

    page = _page(client.get(job.get_absolute_url()))
    assert page.select_one("video[data-before]")["src"].endswith("#t=0,2")
    assert page.select_one("video[data-after]")["src"]
    assert page.select_one("[data-roto-play-both]")
    assert "Download the transparent WebM" in page.get_text()
    assert "Demo provider: background subtraction, not AI" in page.get_text()
    card = client.get(f"/o/{org.slug}/tools/roto/{job.public_id}/card/")
    assert card.status_code == 286  # finished: the polling stops, and the pair is swapped in
    assert 'id="roto-pair"' in card.content.decode()


def test_a_viewer_sees_the_job_but_cannot_start_cancel_or_retry(login, org, clip, fund, people):
    from tools import roto

    fund(100)
    job = roto.roto_start(org=org, user=people.member, asset=clip, start=0, end=2)
    client = login("viewer")
    page = _page(client.get(job.get_absolute_url()))
    assert page.select_one("[data-job-status]")["data-job-status"] == "queued"
    assert not page.select("form[action$='/cancel/']")
    assert client.post(f"/o/{org.slug}/tools/roto/{job.public_id}/cancel/").status_code == 403
    assert client.get(f"/o/{org.slug}/library/{clip.public_id}/roto/").status_code == 403
