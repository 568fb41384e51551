"""The upscale dialog, the job card and pages, and the JSON status endpoint, as people use them."""

import pytest
from django.conf import settings
from django.urls import reverse

from billing.services import credits_available
from generation import services
from generation.models import EditJob


def _detail(org, asset):
    return reverse("assets:detail", args=[org.slug, asset.public_id])


@pytest.mark.django_db
def test_the_detail_page_offers_upscale_with_prices_and_sizes(login, org, fund, photo):
    fund(10)
    html = login("member").get(_detail(org, photo)).content.decode()
    assert 'data-dialog-open="upscale-dialog"' in html
    assert "320 × 240 px" in html
    assert "640 × 480 px" in html
    assert "800 × 600 px" in html
    assert "8 credits" in html
    assert "15 credits" in html
    assert "You have <strong>10</strong> credits available" in html
    # 5× costs 15 and 10 are available: that option is disabled and says why.
    assert html.count('name="factor"') == 3
    assert html.count("disabled>") >= 1


@pytest.mark.django_db
def test_without_credits_the_button_explains_and_links_to_billing(login, org, photo):
    html = login("member").get(_detail(org, photo)).content.decode()
    assert "upscale-dialog" not in html.split("<dialog")[0] or 'id="upscale-dialog"' not in html
    assert "Upscaling needs at least 8 credits and you have 0 available" in html
    assert reverse("orgs:billing", args=[org.slug]) in html
    assert reverse("billing:credits", args=[org.slug]) in html


@pytest.mark.django_db
def test_viewers_are_told_they_cannot_edit(login, org, fund, photo):
    fund(20)
    html = login("viewer").get(_detail(org, photo)).content.decode()
    assert "Viewers can look but not edit" in html
    assert 'id="upscale-dialog"' not in html


@pytest.mark.django_db
def test_posting_the_dialog_queues_a_job_and_shows_it_on_the_page(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    client = login("member")
    url = reverse("generation:upscale", args=[org.slug, photo.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"factor": "4", "key": "8a1b1b1e-1111-4111-8111-111111111111"}, follow=True)
        # The page we land on shows the job, queued, with a card that polls for its progress.
        assert response.status_code == 200
        job = EditJob.objects.get()
        html = response.content.decode()
        assert "Upscale 4× queued" in html
        assert f'id="job-{job.public_id}"' in html
        assert "8 credits held" in html
    job.refresh_from_db()
    assert job.params == {"factor": 4}
    assert job.status == "succeeded"
    html = client.get(_detail(org, photo)).content.decode()
    assert "Open the result" in html
    assert "8 credits charged" in html


@pytest.mark.django_db
def test_posting_without_credits_queues_nothing_and_says_so(login, org, fund, photo):
    fund(3)
    url = reverse("generation:upscale", args=[org.slug, photo.public_id])
    response = login("member").post(url, {"factor": "2"}, follow=True)
    assert "This needs 8 credits" in response.content.decode()
    assert "Nothing was queued" in response.content.decode()
    assert not EditJob.objects.exists()
    assert credits_available(org) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("factor", ["", "three", "3", "-2"])
def test_bad_factors_get_a_message(login, org, fund, photo, factor):
    fund(20)
    url = reverse("generation:upscale", args=[org.slug, photo.public_id])
    response = login("member").post(url, {"factor": factor}, follow=True)
    assert "Choose 2×, 4× or 5×" in response.content.decode()
    assert not EditJob.objects.exists()


@pytest.mark.django_db
def test_the_card_polls_while_active_and_stops_with_286(login, org, fund, photo, people):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    client = login("viewer")
    url = reverse("generation:job_card", args=[org.slug, job.public_id])
    response = client.get(url)
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "Queued" in response.content.decode()
    EditJob.objects.filter(pk=job.pk).update(status="failed", error="The provider rejected the request: too big.")
    response = client.get(url)
    assert response.status_code == 286
    html = response.content.decode()
    assert "hx-trigger" not in html
    assert "too big" in html
    assert "returned" in html


@pytest.mark.django_db
def test_cancel_from_the_page_returns_the_credits(login, org, fund, photo, people, django_capture_on_commit_callbacks):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    url = reverse("generation:job_cancel", args=[org.slug, job.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(url, follow=True)
    assert "cancelled. Its 8 credits are available again" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 20


@pytest.mark.django_db
def test_retry_from_the_page_starts_again(
    settings, login, org, fund, photo, people, django_capture_on_commit_callbacks
):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    fund(20)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    settings.DEMO_PROVIDER_FAILURE_RATE = 0.0
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(reverse("generation:job_retry", args=[org.slug, job.public_id]), follow=True)
    new = EditJob.objects.exclude(pk=job.pk).get()
    assert new.retry_of_id == job.pk
    assert new.status == "succeeded"
    assert "Upscale 2× queued again" in response.content.decode()


@pytest.mark.django_db
def test_the_jobs_page_lists_and_filters(login, org, fund, photo, people):
    client = login("viewer")
    assert "No jobs yet" in client.get(reverse("jobs:centre", args=[org.slug])).content.decode()
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    html = client.get(reverse("jobs:centre", args=[org.slug])).content.decode()
    assert job.get_absolute_url() in html
    assert (
        job.get_absolute_url()
        in client.get(reverse("jobs:centre", args=[org.slug]) + "?status=active").content.decode()
    )
    assert "No jobs match" in client.get(reverse("jobs:centre", args=[org.slug]) + "?status=failed").content.decode()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Upscale 2×" in page
    assert "beach" in page


@pytest.mark.django_db
def test_the_json_status_endpoint(client, org, fund, photo, people, api_key, django_capture_on_commit_callbacks):
    fund(20)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    url = f"/api/v1/jobs/{job.public_id}"
    assert client.get(url).status_code == 401
    data = client.get(url, headers=api_key(people.viewer, scopes=["read"])).json()
    assert data["status"] == "succeeded"
    assert data["finished"] is True
    assert data["credits"] == 8
    assert data["result"]["width"] == 320
    assert data["result"]["url"].startswith(settings.SITE_URL + "/media/a/")  # works without a session
    assert data["source"] == str(photo.public_id)
    assert client.get(url, headers=api_key(people.outsider)).status_code == 404
