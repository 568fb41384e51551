"""Inpaint and change clothes against the emulated fal queue protocol, through the real fal_client:
what each request carries (the mask, the face model, the trigger word, the safety checker), the
two calls of a clothing change, the try-on, and provider failures that give the credits back."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from analytics.models import Event as AnalyticsEvent
from assets import storage
from assets.models import Asset
from assets.tests.factories import AssetFactory
from billing.services import credits_available, ledger_problems
from characters.models import Character
from generation import edits, services
from generation.models import EditJob
from providers import gateway
from providers.models import ProviderCall
from tests.fal_emulator import FalEmulator
from tests.provider_fixtures import provider_fetch

INPAINT = "fal-ai/flux-lora/inpainting"
SEGMENT = "fal-ai/evf-sam"
TRYON = "fal-ai/fashn/tryon/v1.6"
SIZE = (160, 120)


def png(size, box=None, *, colour=255, mode="L") -> bytes:
    image = Image.new(mode, size, 0)
    if box:
        image.paste(colour, box)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(size=SIZE, colour=(40, 160, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def images_result(emulator: FalEmulator, name: str, *, nsfw=False) -> dict:
    """What flux-lora/inpainting (and, without the extras, fashn) answers: ``images[]``."""
    url = emulator.add_file(name, jpeg(), "image/jpeg")
    image = {"url": url, "content_type": "image/jpeg", "file_name": "out.jpg", "width": 160, "height": 120}
    return {"images": [image], "seed": 7, "has_nsfw_concepts": [nsfw], "prompt": "…", "timings": {}}


def mask_result(emulator: FalEmulator, content: bytes) -> dict:
    """What evf-sam answers: one ``image`` (the mask, as a PNG)."""
    url = emulator.add_file("sam/mask.png", content, "image/png")
    return {"image": {"url": url, "content_type": "image/png", "file_name": "mask.png", "file_size": len(content)}}


def poll_until_done(call_id, callbacks, limit=10):
    for _ in range(limit):
        call = ProviderCall.objects.get(pk=call_id)
        if call.status not in ProviderCall.AT_PROVIDER:
            return call
        with callbacks(execute=True):
            gateway.call_poll(call_id)
    return ProviderCall.objects.get(pk=call_id)


@pytest.fixture
def ava(org):
    character = Character.objects.create(org=org, name="Ava Stone", origin=Character.Origin.PHOTOS)
    character.lora_key = storage.storage().save(storage.lora_key(org, character), ContentFile(b"lora weights"))
    character.lora_status = Character.LoraStatus.READY
    character.save()
    return character


@pytest.fixture
def inpaint(people, org, fund, photo, django_capture_on_commit_callbacks):
    """Start an inpaint of ``photo`` and run its submit; returns the job."""

    def go(prompt="add a nano banana on the table"):
        fund(20)
        mask = SimpleUploadedFile("mask.png", png(SIZE, (40, 30, 100, 90)), content_type="image/png")
        with django_capture_on_commit_callbacks(execute=True):
            job = edits.inpaint_start(org=org, user=people.member, asset=photo, prompt=prompt, mask=mask)
        job.refresh_from_db()
        return job

    return go


@pytest.mark.django_db
def test_an_inpaint_sends_the_image_the_mask_the_face_model_and_the_trigger_word(
    fal_emulator, inpaint, org, photo, ava, django_capture_on_commit_callbacks
):
    Asset.objects.filter(pk=photo.pk).update(character=ava)
    photo.refresh_from_db()
    fal_emulator.behave(INPAINT, queue_positions=(1,), result=images_result(fal_emulator, "inpaint/out.jpg"))
    job = inpaint()
    sent = fal_emulator.last
    assert sent.endpoint_id == INPAINT
    args = sent.arguments
    # fal fetches our files from signed URLs: the mask, the image as shown, the face model.
    mask = provider_fetch(args["mask_url"])
    with storage.storage().open(job.mask_key, "rb") as fh:
        assert mask == fh.read()
    assert Image.open(io.BytesIO(mask)).format == "PNG"
    assert Image.open(io.BytesIO(mask)).size == SIZE
    image = Image.open(io.BytesIO(provider_fetch(args["image_url"])))
    assert (image.format, image.size) == ("JPEG", SIZE)
    assert provider_fetch(args["loras"][0]["path"]) == b"lora weights"
    assert args["loras"][0]["scale"] == 1
    assert args["prompt"] == f"{ava.trigger_word}, add a nano banana on the table"
    assert args["enable_safety_checker"] is True
    assert args["strength"] == 0.95
    assert args["num_images"] == 1
    assert args["output_format"] == "jpeg"

    call = poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    assert call.status == "succeeded"
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result.recipe["model"] == INPAINT
    assert job.result.recipe["seed"] == 7
    assert job.result.character == ava
    assert credits_available(org) == 12
    assert ledger_problems(org) == []


@pytest.mark.django_db
def test_with_a_public_address_fal_fetches_the_mask_and_answers_by_webhook(
    settings, fal_emulator, inpaint, client, org, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    fal_emulator.behave(INPAINT, result=images_result(fal_emulator, "inpaint/out.jpg"))
    job = inpaint()
    call = ProviderCall.objects.get(pk=job.call_id)
    args = fal_emulator.last.arguments
    assert args["mask_url"].startswith("https://app.example.com/media/p/")
    assert args["image_url"].startswith("https://app.example.com/media/p/")
    assert fal_emulator.last.webhook_url == f"https://app.example.com/webhooks/fal/{call.webhook_token}/"
    # fal fetches the mask from us: the signed address serves it without a login.
    path = args["mask_url"].removeprefix("https://app.example.com")
    with storage.storage().open(job.mask_key, "rb") as fh:
        assert b"".join(client.get(path).streaming_content) == fh.read()
    body, headers = fal_emulator.completion_webhook(call.request_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("providers:webhook", args=["fal", call.webhook_token]),
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert credits_available(org) == 12


@pytest.mark.django_db
def test_a_provider_failure_returns_the_credits_and_is_recorded(
    fal_emulator, inpaint, org, django_capture_on_commit_callbacks
):
    fal_emulator.behave(INPAINT, error="Invalid status code: 422", error_status=422, error_detail="Mask is empty")
    job = inpaint()
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Mask is empty" in job.error
    assert job.result is None
    assert credits_available(org) == 20
    assert ledger_problems(org) == []
    event = AnalyticsEvent.objects.get(name="inpaint_failed")
    assert event.properties["error_type"] == "provider_error"


@pytest.mark.django_db
def test_a_rejected_submit_fails_at_once_with_the_providers_words(fal_emulator, inpaint, org):
    fal_emulator.fail(
        "submit",
        status=422,
        json={"detail": [{"loc": ["body", "mask_url"], "msg": "Mask and image sizes differ", "type": "value_error"}]},
    )
    job = inpaint()
    assert job.status == "failed"
    assert "mask_url: Mask and image sizes differ" in job.error
    assert credits_available(org) == 20


@pytest.mark.django_db
def test_the_safety_checker_holding_an_image_back_saves_nothing_and_charges_nothing(
    fal_emulator, inpaint, org, django_capture_on_commit_callbacks
):
    fal_emulator.behave(INPAINT, result=images_result(fal_emulator, "inpaint/nsfw.jpg", nsfw=True))
    job = inpaint()
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "safety checker held this image back" in job.error
    assert not Asset.objects.filter(source=Asset.Source.EDITED).exists()
    assert credits_available(org) == 20
    assert AnalyticsEvent.objects.get(name="inpaint_failed").properties["error_type"] == "safety_checker"


# --- Change clothes: segment, then inpaint -----------------------------------------------------------


@pytest.fixture
def outfit(people, org, fund, photo, django_capture_on_commit_callbacks):
    def go(**kwargs):
        fund(20)
        with django_capture_on_commit_callbacks(execute=True):
            job = edits.clothes_start(org=org, user=people.member, asset=photo, **kwargs)
        job.refresh_from_db()
        return job

    return go


@pytest.mark.django_db
def test_an_outfit_segments_then_inpaints_with_the_stored_mask(
    fal_emulator, outfit, org, photo, django_capture_on_commit_callbacks
):
    # evf-sam answers a mask at half size: it is scaled to the image's size when stored.
    fal_emulator.behave(SEGMENT, result=mask_result(fal_emulator, png((80, 60), (20, 30, 60, 60))))
    fal_emulator.behave(INPAINT, result=images_result(fal_emulator, "clothes/out.jpg"))
    job = outfit(outfit="evening_gown")
    segment = fal_emulator.last
    assert segment.endpoint_id == SEGMENT
    assert segment.arguments["prompt"] == "clothing"
    assert segment.arguments["mask_only"] is True
    assert segment.arguments["fill_holes"] is True
    assert segment.arguments["expand_mask"] == 8
    assert Image.open(io.BytesIO(provider_fetch(segment.arguments["image_url"]))).size == SIZE

    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.params["step"] == "inpaint"
    assert job.status in ("queued", "running")
    painting = fal_emulator.last
    assert painting.endpoint_id == INPAINT
    assert painting.arguments["prompt"] == "wearing an elegant evening gown"
    assert painting.arguments["strength"] == 1.0
    assert painting.arguments["enable_safety_checker"] is True
    assert "loras" not in painting.arguments
    mask = Image.open(io.BytesIO(provider_fetch(painting.arguments["mask_url"])))
    assert mask.size == SIZE
    assert mask.getbbox() == (40, 60, 120, 120)
    assert credits_available(org) == 8  # one hold for both calls

    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result.recipe["method"] == "segment+inpaint"
    assert job.result.recipe["model"] == INPAINT
    assert job.result.recipe["segment_endpoint"] == SEGMENT
    assert credits_available(org) == 8
    assert ledger_problems(org) == []


@pytest.mark.django_db
def test_a_segmentation_that_finds_nothing_fails_without_charging(
    fal_emulator, outfit, org, django_capture_on_commit_callbacks
):
    fal_emulator.behave(SEGMENT, result=mask_result(fal_emulator, png(SIZE)))  # all black
    job = outfit(outfit="streetwear")
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "No clothes were found" in job.error
    assert ProviderCall.objects.count() == 1  # nothing painted
    assert credits_available(org) == 20


@pytest.mark.django_db
def test_a_failure_in_the_second_call_returns_the_credits_once(
    fal_emulator, outfit, org, django_capture_on_commit_callbacks
):
    fal_emulator.behave(SEGMENT, result=mask_result(fal_emulator, png(SIZE, (40, 40, 120, 120))))
    fal_emulator.behave(INPAINT, error="Invalid status code: 422", error_status=422, error_detail="GPU out of memory")
    job = outfit(outfit="yoga_set")
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "GPU out of memory" in job.error
    assert job.mask_key  # kept: a retry starts from it
    assert credits_available(org) == 20
    assert ledger_problems(org) == []
    assert not AnalyticsEvent.objects.filter(name="inpaint_failed").exists()  # a clothing change, not an inpaint


@pytest.mark.django_db
def test_cancel_while_painting_cancels_the_second_call_at_fal(
    fal_emulator, outfit, people, org, django_capture_on_commit_callbacks
):
    fal_emulator.behave(SEGMENT, result=mask_result(fal_emulator, png(SIZE, (40, 40, 120, 120))))
    fal_emulator.behave(INPAINT, queue_positions=(4, 3, 2))
    job = outfit(outfit="pyjamas")
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    painting = ProviderCall.objects.get(pk=job.call_id)
    assert painting.operation == "inpaint"
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_job_cancel(job=job, user=people.member)
    assert fal_emulator.request(painting.request_id).cancelled
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 20


# --- Change clothes: try-on -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_clothing_photo_is_tried_on_with_fashn(fal_emulator, outfit, org, photo, django_capture_on_commit_callbacks):
    url = fal_emulator.add_file("tryon/out.jpg", jpeg((90, 135)), "image/jpeg")
    fal_emulator.behave(
        TRYON, result={"images": [{"url": url, "content_type": "image/jpeg", "width": 90, "height": 135}]}
    )
    garment = AssetFactory(org=org, filename="jacket.jpg", size=(90, 120))
    job = outfit(clothing=garment)
    sent = fal_emulator.last
    assert sent.endpoint_id == TRYON
    assert Image.open(io.BytesIO(provider_fetch(sent.arguments["model_image"]))).size == SIZE
    assert Image.open(io.BytesIO(provider_fetch(sent.arguments["garment_image"]))).size == (90, 120)
    assert sent.arguments["category"] == "auto"
    assert sent.arguments["mode"] == "quality"
    assert sent.arguments["moderation_level"] == "permissive"
    poll_until_done(job.call_id, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert (job.result.width, job.result.height) == (90, 135)
    assert set(job.result.parents.all()) == {photo, garment}
    assert job.result.recipe["model"] == TRYON
    assert credits_available(org) == 8
    assert EditJob.objects.count() == 1
