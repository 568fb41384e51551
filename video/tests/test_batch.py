"""The library's batch sidebar, one job per item: Upscale (images and videos), Change clothes
(images), Animate (videos), each with its total before anything starts; and a batch pack's switch
that makes a video of each image as it arrives."""

import uuid

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from assets.services import asset_create_from_bytes
from assets.tests.factories import AssetFactory, AssetRowFactory
from billing.models import Hold, Plan
from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from core.jobs import JobStatus
from generation.models import EditJob, GenerationJob
from orgs.models import Organization
from providers.contracts.shapes import sample_mp4
from video import batch
from video.animate import AnimateRequest
from video.models import AnimatePipeline, AnimateStep, PackVideo, VideoJob
from video.tests import clips

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def mixed(org):
    """Two photos, a short video and a file."""
    photos = [AssetFactory(org=org, filename=f"look-{n}.jpg", size=(160, 120)) for n in range(2)]
    clip = asset_create_from_bytes(org=org, data=sample_mp4(320, 180, 2.0, 25, False), filename="walk.mp4")
    lora = AssetRowFactory(org=org, kind="file", mime="application/octet-stream", title="weights")
    return [*photos, clip, lora]


def _post(client, org, name, action, assets, **fields):
    data = {"ids": ",".join(str(a.public_id) for a in assets), "key": str(uuid.uuid4()), **fields}
    return client.post(reverse(name, args=[org.slug, action]), data, **HTMX)


def test_the_upscale_plan_prices_each_item_and_says_what_it_skips(org, mixed, fund):
    fund(100)
    plan = batch.upscale_plan(org, mixed, 2)

    assert [(i.asset.title, i.credits) for i in plan.items] == [("look-0", 8), ("look-1", 8), ("walk", 2)]
    assert [(a.title, why) for a, why in plan.skipped] == [("weights", "Only images and videos can be upscaled.")]
    assert plan.total == 18
    assert plan.problem == ""


def test_a_batch_upscale_starts_one_job_per_item_once(org, people, mixed, fund, django_capture_on_commit_callbacks):
    fund(100)
    key = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        started = batch.batch_upscale_start(org=org, user=people.member, assets=mixed, factor=2, key=key)
    again = batch.batch_upscale_start(org=org, user=people.member, assets=mixed, factor=2, key=key)

    assert len(started) == 3
    assert {j.pk for j in again} == {j.pk for j in started}  # the same form again starts nothing
    assert EditJob.objects.count() == 2
    assert VideoJob.objects.count() == 1
    assert all(j.status == JobStatus.SUCCEEDED for j in [*EditJob.objects.all(), *VideoJob.objects.all()])
    assert credits_available(org) == 100 - 18
    assert ledger_problems(org) == []


def test_a_batch_beyond_the_plans_jobs_at_once_starts_nothing_and_says_why(org, people, mixed, fund):
    Organization.objects.filter(pk=org.pk).update(plan=Plan.objects.get(slug="creator"))  # 3 at a time
    org.refresh_from_db()
    fund(100)
    four = [*mixed[:2], mixed[2], AssetFactory(org=org, filename="look-2.jpg", size=(160, 120))]

    with pytest.raises(DomainError) as refused:
        batch.batch_upscale_start(org=org, user=people.member, assets=four, factor=2, key="")

    assert refused.value.message == (
        "Your plan runs 3 jobs at a time and 0 are running, so this batch can start at most 3 now. "
        "Select fewer, or wait for jobs to finish."
    )
    assert not Hold.objects.exists()


def test_short_credits_start_nothing(org, people, mixed, fund):
    fund(10)

    with pytest.raises(DomainError, match=r"This batch needs 18 credits and you have 10 available\."):
        batch.batch_upscale_start(org=org, user=people.member, assets=mixed, factor=2, key="")
    assert not Hold.objects.exists()


def test_change_clothes_takes_the_images_one_job_each(org, people, mixed, fund):
    fund(100)
    plan = batch.clothes_plan(org, mixed)
    assert plan.total == 24
    assert len(plan.skipped) == 2

    jobs = batch.batch_clothes_start(
        org=org, user=people.member, assets=mixed, outfit="casual_jeans", description="", key=str(uuid.uuid4())
    )
    assert [j.kind for j in jobs] == ["clothes", "clothes"]
    assert credits_available(org) == 100 - 24

    with pytest.raises(DomainError, match="Choose one of the outfits"):
        batch.batch_clothes_start(org=org, user=people.member, assets=mixed, outfit="", description="", key="")


def test_animate_runs_each_video_straight_through_to_its_animation(
    org, people, ava, fund, landscape, django_capture_on_commit_callbacks
):
    fund(500)
    videos = [
        asset_create_from_bytes(org=org, data=clips.still_clip("person-b-1", seconds=2), filename=f"ref-{n}.mp4")
        for n in range(2)
    ]
    plan = batch.animate_plan(org, [*videos, landscape], AnimateRequest(character=ava))
    assert [i.credits for i in plan.items] == [55, 55]  # 9 + 6 + 2 s × 20
    assert "this is an image" in plan.skipped[0][1]

    with django_capture_on_commit_callbacks(execute=True):
        pipelines = batch.batch_animate_start(
            org=org, user=people.member, assets=[*videos, landscape], request=AnimateRequest(character=ava), key=""
        )

    assert len(pipelines) == 2
    for pipeline in pipelines:
        kinds = list(AnimateStep.objects.filter(pipeline=pipeline).values_list("kind", "status"))
        assert kinds == [(k, JobStatus.SUCCEEDED) for k in ("prepare", "swap", "refine", "animate")]
    assert credits_available(org) == 500 - 110


def test_the_panel_shows_the_total_and_a_refusal_comes_back_in_it(login, org, mixed, fund):
    fund(10)
    client = login("member")

    panel = _post(client, org, "video:batch_panel", "upscale", mixed, factor="2")
    page = BeautifulSoup(panel.content, "html.parser")
    assert page.select_one("[data-cost-line]").get_text(strip=True) == "3 jobs · 18 credits"
    assert "This batch needs 18 credits and you have 10 available." in page.select_one("[data-cost-note]").get_text()
    assert page.select_one("[data-batch-submit]").has_attr("disabled")
    assert "Only images and videos can be upscaled." in page.select_one("[data-batch-skipped]").get_text()

    refused = _post(client, org, "video:batch", "upscale", mixed, factor="2")
    assert refused.status_code == 400
    assert "Nothing was started or charged." in refused.content.decode()


def test_a_started_batch_goes_to_its_jobs(login, org, mixed, fund):
    fund(100)

    response = _post(login("member"), org, "video:batch", "upscale", mixed[:2], factor="4")

    assert response["HX-Redirect"] == reverse("jobs:centre", args=[org.slug])
    assert EditJob.objects.count() == 2


def test_viewers_and_other_orgs_items_are_refused(login, org, people, mixed):
    theirs = AssetFactory(org=people.other_org, filename="theirs.jpg")
    client = login("viewer")
    assert _post(client, org, "video:batch_panel", "upscale", mixed).status_code == 403
    client = login("member")
    assert _post(client, org, "video:batch_panel", "upscale", [theirs]).status_code == 404
    assert _post(client, org, "video:batch", "nonsense", mixed).status_code == 404


# --- A video of each image of a batch pack -----------------------------------------------------------------


@pytest.fixture
def pack_post(login, org, ava):
    def go(references, **fields):
        data = {
            "ids": ",".join(str(a.public_id) for a in references),
            "character": str(ava.public_id),
            "use_prompt_writer": "on",
            "aspect_ratio": "9:16",
            "quality": "draft",
            "key": str(uuid.uuid4()),
            **fields,
        }
        return login("member").post(reverse("generation:batch", args=[org.slug]), data, **HTMX)

    return go


def test_a_batch_pack_can_make_a_video_of_each_image_as_it_arrives(
    org, fund, pack_post, landscape, portrait, django_capture_on_commit_callbacks
):
    fund(500)
    with django_capture_on_commit_callbacks(execute=True):
        response = pack_post([landscape, portrait], also_video="on", video_seconds="6")

    pack = GenerationJob.objects.get()
    assert response["HX-Redirect"].endswith(f"/packs/{pack.public_id}/")
    assert PackVideo.objects.get(pack=pack).seconds == 6
    videos = VideoJob.objects.filter(pack=pack).order_by("pk")
    assert videos.count() == 2
    assert all(v.origin == VideoJob.Origin.PACK and v.status == JobStatus.SUCCEEDED for v in videos), [
        v.error for v in videos
    ]
    assert {v.source_id for v in videos} == set(pack.images.values_list("asset_id", flat=True))
    assert all(v.credits == 61 for v in videos)  # 6 s × 10 + the motion written


def test_a_batch_pack_without_room_for_its_videos_is_refused_before_it_starts(org, fund, pack_post, landscape):
    fund(50)

    response = pack_post([landscape], also_video="on", video_seconds="10")

    assert response.status_code == 400
    assert "1 image and their videos need 106 credits and you have 50 available." in response.content.decode()
    assert not GenerationJob.objects.exists()
    assert not PackVideo.objects.exists()


def test_the_batch_panel_offers_the_video_switch_with_its_prices(login, org, landscape):
    response = login("member").post(
        reverse("generation:batch_panel", args=[org.slug]), {"ids": str(landscape.public_id)}, **HTMX
    )
    page = BeautifulSoup(response.content, "html.parser")

    assert page.select_one("[data-also-video]") is not None
    assert "Also make a video of each image" in page.get_text()
    assert [c.get_text(strip=True) for c in page.select("[data-video-seconds] .chip")] == [
        "6 s · 61 cr",
        "8 s · 81 cr",
        "10 s · 101 cr",
    ]


def test_a_pipeline_made_by_a_batch_goes_straight_on(org, people, ava, fund, reference):
    fund(500)
    pipeline = batch.batch_animate_start(
        org=org, user=people.member, assets=[reference], request=AnimateRequest(character=ava), key=""
    )[0]
    assert AnimatePipeline.objects.get(pk=pipeline.pk).auto_animate is True
