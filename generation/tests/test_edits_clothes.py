"""Change clothes on the demo provider: outfits (segment, then inpaint), try-ons, refusals, failure, retry, cancel."""

import pytest
from PIL import Image

from assets import storage
from assets.models import Asset
from assets.tests.factories import AssetFactory
from billing.models import LedgerEntry
from billing.services import InsufficientCredits, credits_available
from generation import edits, services
from generation.tests.edit_helpers import SIZE, events, nothing_charged, run, shades
from providers.adapters import demo
from providers.adapters.base import ProviderError
from providers.models import ProviderCall
from safety.models import SafetyEvent
from safety.screen import MinorsRefused

# --- Change clothes -------------------------------------------------------------------------------------


@pytest.fixture
def dress(people, org, fund, photo, django_capture_on_commit_callbacks):
    def go(credits=20, **kwargs):
        if credits:
            fund(credits)
        job = run(
            django_capture_on_commit_callbacks, edits.clothes_start, org=org, user=people.member, asset=photo, **kwargs
        )
        job.refresh_from_db()
        return job

    return go


@pytest.mark.django_db
def test_an_outfit_is_two_calls_segment_then_inpaint_for_one_price(dress, org, photo):
    job = dress(outfit="casual_jeans")
    assert job.status == "succeeded", job.error
    segment, inpaint = ProviderCall.objects.order_by("pk")
    assert job.call_id == inpaint.pk
    assert job.params["step"] == "inpaint"
    assert segment.operation == "segment"
    assert segment.endpoint_id == "fal-ai/evf-sam"
    assert segment.input == {
        "image_url": {"$asset": str(photo.public_id), "variant": "edit"},
        "prompt": "clothing",
        "negative_prompt": "face, hair",
        "mask_only": True,
        "fill_holes": True,
        "expand_mask": 8,
    }
    assert inpaint.operation == "inpaint"
    assert inpaint.input["prompt"] == "wearing a white t-shirt and blue jeans"
    assert inpaint.input["mask_url"] == {"$key": job.mask_key}
    assert inpaint.input["strength"] == 1.0
    with storage.storage().open(job.mask_key, "rb") as fh:
        mask = Image.open(fh)
        mask.load()
    assert mask.size == SIZE
    assert shades(mask) == {0, 255}
    result = job.result
    assert result.title == "beach · new outfit"
    assert list(result.parents.all()) == [photo]
    assert result.recipe["method"] == "segment+inpaint"
    assert result.recipe["outfit"] == "casual_jeans"
    assert result.recipe["outfit_label"] == "Jeans and white tee"
    assert result.recipe["prompt"] == "wearing a white t-shirt and blue jeans"
    assert result.recipe["segment_endpoint"] == "fal-ai/evf-sam"
    assert result.recipe["cost"] == 12
    kinds = list(LedgerEntry.objects.filter(org=org).order_by("pk").values_list("kind", "amount", "held_delta"))
    assert kinds[-2:] == [("hold", 0, 12), ("capture", -12, -12)]
    assert credits_available(org) == 8
    assert events("inpaint_started") == []  # a clothing change is not counted as an inpaint


@pytest.mark.django_db
def test_described_words_win_over_a_picked_outfit(dress, photo, ava):
    Asset.objects.filter(pk=photo.pk).update(character=ava)
    photo.refresh_from_db()
    job = dress(outfit="casual_jeans", description="  a red silk blouse   and white trousers ")
    inpaint = ProviderCall.objects.get(pk=job.call_id)
    assert inpaint.input["prompt"] == f"{ava.trigger_word}, wearing a red silk blouse and white trousers"
    assert inpaint.input["loras"] == [{"path": {"$key": ava.lora_key}, "scale": 1}]
    assert job.result.recipe["outfit"] == "described"
    assert job.result.character == ava


@pytest.mark.django_db
def test_a_clothing_photo_is_one_try_on_call(dress, org, photo):
    garment = AssetFactory(org=org, filename="jacket.jpg", size=(90, 120))
    job = dress(clothing=garment)
    assert job.status == "succeeded", job.error
    call = ProviderCall.objects.get()
    assert call.operation == "tryon"
    assert call.endpoint_id == "fal-ai/fashn/tryon/v1.6"
    assert call.input["model_image"] == {"$asset": str(photo.public_id), "variant": "edit"}
    assert call.input["garment_image"] == {"$asset": str(garment.public_id), "variant": "preview"}
    assert call.input["moderation_level"] == "permissive"
    assert call.output["images"][0]["url"]
    assert job.reference == garment
    result = job.result
    assert set(result.parents.all()) == {photo, garment}
    assert result.recipe["method"] == "tryon"
    assert result.recipe["clothing"] == str(garment.public_id)
    assert (result.width, result.height) == SIZE
    assert credits_available(org) == 8


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({}, "outfit", "Choose one of the outfits"),
        ({"outfit": "ball_gown_for_a_cat"}, "outfit", "Choose one of the outfits shown."),
        ({"description": "x" * 301}, "description", "under 300 characters"),
    ],
    ids=["nothing-chosen", "unknown-outfit", "too-long"],
)
def test_a_bad_outfit_is_refused(people, org, fund, photo, kwargs, field, message):
    fund(20)
    with pytest.raises(edits.EditRefused) as exc:
        edits.clothes_start(org=org, user=people.member, asset=photo, **kwargs)
    assert message in exc.value.errors[field]
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_an_outfit_naming_a_minor_is_refused(people, org, fund, photo):
    fund(20)
    with pytest.raises(MinorsRefused) as exc:
        edits.clothes_start(org=org, user=people.member, asset=photo, description="a schoolgirl uniform")
    assert exc.value.field == "description"
    assert SafetyEvent.objects.get().where == "clothes"
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_clothing_must_be_another_image_of_this_org(people, org, fund, photo):
    fund(20)
    theirs = AssetFactory(org=people.other_org)
    for clothing, message in [(theirs, "isn't in this organisation"), (photo, "the image you are changing")]:
        with pytest.raises(edits.EditRefused) as exc:
            edits.clothes_start(org=org, user=people.member, asset=photo, clothing=clothing)
        assert message in exc.value.errors["clothing"]
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_a_clothing_change_without_enough_credits_says_the_numbers(people, org, fund, photo):
    fund(10)
    with pytest.raises(InsufficientCredits) as exc:
        edits.clothes_start(org=org, user=people.member, asset=photo, outfit="evening_gown")
    assert (exc.value.needed, exc.value.available) == (12, 10)
    nothing_charged(org, 10)


@pytest.mark.django_db
def test_no_clothes_found_fails_the_job_and_returns_the_credits(dress, org, monkeypatch):
    monkeypatch.setattr(demo, "_face_box", lambda image: (0, 0, 160, 120))  # a "face" filling the frame
    job = dress(outfit="casual_jeans")
    assert job.status == "failed"
    assert "No clothes were found" in job.error
    assert credits_available(org) == 20


@pytest.mark.django_db
def test_a_failed_second_step_retries_from_the_stored_mask(
    dress, org, people, monkeypatch, django_capture_on_commit_callbacks
):
    real = demo._inpaint

    def broken(request_id, arguments):
        raise ProviderError("The GPU caught fire.")

    monkeypatch.setattr(demo, "_inpaint", broken)
    failed = dress(outfit="summer_dress")
    assert failed.status == "failed"
    assert failed.error == "The GPU caught fire."
    assert failed.mask_key
    assert credits_available(org) == 20
    monkeypatch.setattr(demo, "_inpaint", real)
    calls_before = ProviderCall.objects.count()
    again = run(django_capture_on_commit_callbacks, services.edit_job_retry, job=failed, user=people.member)
    again.refresh_from_db()
    assert again.status == "succeeded", again.error
    assert ProviderCall.objects.count() == calls_before + 1  # straight to painting: the clothes were found
    assert ProviderCall.objects.get(pk=again.call_id).operation == "inpaint"
    assert again.params["prompt"] == "wearing a light floral summer dress"
    assert credits_available(org) == 8


@pytest.mark.django_db
def test_cancel_a_clothing_change_returns_the_credits(people, org, fund, photo, django_capture_on_commit_callbacks):
    fund(20)
    job = edits.clothes_start(org=org, user=people.member, asset=photo, outfit="streetwear")
    assert credits_available(org) == 8
    run(django_capture_on_commit_callbacks, services.edit_job_cancel, job=job, user=people.member)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 20
