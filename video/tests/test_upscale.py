"""Video upscaling (SeedVR2): priced from what the provider bills (megapixels of output video) at the
2× margin, refused where the result would be too large, delivered as the original's child; what it
cost measured on the delivered file."""

from decimal import Decimal

import pytest

from assets.models import Asset
from assets.services import asset_create_from_bytes
from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from core.jobs import JobStatus
from providers import gateway
from providers.contracts.shapes import sample_mp4
from video import upscale
from video.models import VideoJob
from video.upscale import upscale_credits, video_upscale_options, video_upscale_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(org):
    return asset_create_from_bytes(org=org, data=sample_mp4(320, 180, 4.0, 25, True), filename="walk.mp4")


def test_the_price_follows_the_output_megapixels_at_twice_the_providers_price():
    # fal's example: 1920×1080, 121 frames is $0.25; at $0.01245 a credit, twice that is 40.2 credits.
    assert upscale_credits(1920, 1080, 121 / 25, 25) == 42
    cheapest_credit, fal_per_mp = Decimal("0.01245"), Decimal("0.001")
    megapixels = Decimal(1920 * 1080 * 121) / 1_000_000
    assert upscale_credits(1920, 1080, 121 / 25, 25) * cheapest_credit >= 2 * fal_per_mp * megapixels


def test_each_factor_says_its_size_and_price_and_why_not(clip, org):
    options = {o.factor: o for o in video_upscale_options(clip)}

    assert (options[2].width, options[2].height, options[2].credits) == (640, 360, 4)  # 23 MP
    assert (options[4].width, options[4].height, options[4].credits) == (1280, 720, 16)  # 92 MP
    big = asset_create_from_bytes(org=org, data=sample_mp4(1280, 720, 1.0, 25, False), filename="hd.mp4")
    too_big = {o.factor: o for o in video_upscale_options(big)}[4]
    assert not too_big.allowed
    assert "5,120 × 2,880 px would be over the library's limit of 4,096 px" in too_big.problem


def test_an_upscale_is_a_new_video_made_from_the_original(clip, org, people, fund, django_capture_on_commit_callbacks):
    fund(50)
    with django_capture_on_commit_callbacks(execute=True):
        job = video_upscale_start(org=org, user=people.member, asset=clip, factor=2)
    job.refresh_from_db()

    assert job.status == JobStatus.SUCCEEDED, job.error
    result = job.result
    assert result.kind == Asset.Kind.VIDEO
    assert (result.width, result.height) == (640, 360)
    assert result.duration == pytest.approx(4.0, abs=0.1)
    assert result.metadata["media"]["has_audio"] is True
    assert list(result.parents.all()) == [clip]
    assert result.recipe["model"] == "Lanczos resize (demo provider, not AI)"
    assert credits_available(org) == 50 - 4
    assert ledger_problems(org) == []


def test_images_and_short_credits_are_refused_with_words(clip, org, people, fund):
    photo = asset_create_from_bytes(org=org, data=_jpeg(), filename="photo.jpg")
    with pytest.raises(DomainError, match="Only videos can be upscaled here"):
        video_upscale_start(org=org, user=people.member, asset=photo, factor=2)

    fund(5)
    with pytest.raises(DomainError) as short:
        video_upscale_start(org=org, user=people.member, asset=clip, factor=4)
    assert short.value.message == "Upscaling this video 4× needs 16 credits and you have 5 available."
    with pytest.raises(DomainError, match="Choose 2× or 4×"):
        video_upscale_start(org=org, user=people.member, asset=clip, factor=3)
    assert not VideoJob.objects.exists()


def test_against_fal_it_sends_the_factor_and_records_the_measured_cost(
    fal_emulator, clip, org, people, fund, django_capture_on_commit_callbacks
):
    fal_emulator.sample_outputs = True
    fund(50)
    with django_capture_on_commit_callbacks(execute=True):
        job = video_upscale_start(org=org, user=people.member, asset=clip, factor=2)
    sent = fal_emulator.last
    assert sent.endpoint_id == "fal-ai/seedvr/upscale/video"
    assert sent.arguments["upscale_factor"] == 2
    assert sent.arguments["output_format"] == "X264 (.mp4)"
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            gateway.call_poll(job.call_id)
    job.refresh_from_db()

    assert job.status == JobStatus.SUCCEEDED, job.error
    # The emulator's answer is 320 × 180 for 4 s at 25 fps: 5.76 MP at $0.001.
    assert job.result.provider_cost_usd == Decimal("0.005760")


def test_the_asset_page_starts_it(login, clip, fund, django_capture_on_commit_callbacks):
    fund(50)
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(f"/o/northstar/library/{clip.public_id}/video-upscale/", {"factor": "2"})

    job = VideoJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.kind == VideoJob.Kind.UPSCALE
    assert job.operation == upscale.OPERATION


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buffer, "JPEG")
    return buffer.getvalue()
