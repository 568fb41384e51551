"""Inpaint and change clothes on the demo provider: the services end to end, the pages as people
use them, every refusal (with nothing charged), cancel, retry, lineage, recipe and analytics."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageChops, ImageStat

from assets import storage
from assets.models import Asset
from assets.tests.factories import AssetFactory, jpeg_bytes
from billing.models import Hold, LedgerEntry
from billing.services import InsufficientCredits, credits_available, ledger_problems
from characters.models import Character, Consent
from core.exceptions import DomainError
from core.models import AnalyticsEvent
from generation import edits, masks, services
from generation.models import EditJob, SafetyRefusal
from generation.safety import MinorsRefused
from providers import handlers
from providers.adapters import demo
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

SIZE = (160, 120)  # the ``photo`` fixture
BOX = (40, 30, 100, 90)  # where the tests paint


def mask_png(size=SIZE, box=BOX, *, mode="L") -> bytes:
    image = Image.new(mode, size, 0)
    if box:
        image.paste(255 if mode == "L" else (255, 255, 255, 255), box)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def mask_file(data: bytes | None = None, name="mask.png", content_type="image/png"):
    return SimpleUploadedFile(name, mask_png() if data is None else data, content_type=content_type)


def run(callbacks, fn, **kwargs):
    with callbacks(execute=True):
        return fn(**kwargs)


def events(name):
    return list(AnalyticsEvent.objects.filter(name=name).values_list("properties", flat=True))


def opened(asset) -> Image.Image:
    with storage.storage().open(asset.original_key, "rb") as fh:
        image = Image.open(fh)
        image.load()
    return image.convert("RGB")


def shades(image: Image.Image) -> set[int]:
    return {value for value, count in enumerate(image.histogram()) if count}


def difference(a: Image.Image, b: Image.Image, box) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


@pytest.fixture
def start(people, org, fund, photo, django_capture_on_commit_callbacks):
    """Inpaint ``photo`` on the demo provider, all the way through; returns the job, refreshed."""

    def go(prompt="add a nano banana on the table", mask=None, credits=20, **kwargs):
        if credits:
            fund(credits)
        job = run(
            django_capture_on_commit_callbacks,
            edits.inpaint_start,
            org=org,
            user=people.member,
            asset=photo,
            prompt=prompt,
            mask=mask or mask_file(),
            **kwargs,
        )
        job.refresh_from_db()
        return job

    return go


@pytest.fixture
def ava(org):
    """A character with a trained face model (a small file standing in for the LoRA)."""
    character = Character.objects.create(org=org, name="Ava Stone", origin=Character.Origin.PHOTOS)
    character.lora_key = storage.storage().save(storage.lora_key(org, character), ContentFile(b"lora"))
    character.lora_status = Character.LoraStatus.READY
    character.save()
    return character


def nothing_charged(org, credits):
    assert not EditJob.objects.exists()
    assert not Hold.objects.exists()
    assert not ProviderCall.objects.exists()
    assert credits_available(org) == credits


# --- Inpaint ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_inpaint_makes_a_new_child_image_with_its_recipe_and_leaves_the_source_alone(start, org, photo):
    before = opened(photo)
    job = start()
    assert job.status == "succeeded", job.error
    result = job.result
    assert result.source == Asset.Source.EDITED
    assert list(result.parents.all()) == [photo]
    assert result.title == "beach · edited"
    assert (result.width, result.height) == SIZE
    # Painted inside the mask, untouched (but for JPEG noise) outside it.
    after = opened(result)
    assert difference(before, after, (50, 40, 90, 80)) > 20
    assert difference(before, after, (110, 0, 160, 25)) < 6
    photo.refresh_from_db()
    assert opened(photo).tobytes() == before.tobytes()
    recipe = result.recipe
    assert recipe["operation"] == "inpaint"
    assert recipe["prompt"] == "add a nano banana on the table"
    assert recipe["mask"] == job.mask_key == storage.edit_mask_key(org, job)
    assert recipe["mask_coverage_pct"] == 18.8  # 60 × 60 of 160 × 120
    assert recipe["cost"] == 8
    assert recipe["job"] == str(job.public_id)
    assert recipe["source"] == str(photo.public_id)
    assert recipe["provider"] == "demo"
    assert recipe["endpoint"] == "fal-ai/flux-lora/inpainting"
    assert "not AI" in recipe["model"]
    assert isinstance(recipe["seed"], int)
    assert result.near_duplicate_of is None
    assert credits_available(org) == 12


@pytest.mark.django_db
def test_the_mask_is_kept_black_and_white_at_the_sources_size(start):
    job = start(mask=mask_file(mask_png(mode="RGBA")))  # a transparent PNG with white paint counts too
    with storage.storage().open(job.mask_key, "rb") as fh:
        mask = Image.open(fh)
        mask.load()
    assert mask.size == SIZE
    assert mask.mode == "L"
    assert shades(mask) == {0, 255}
    assert mask.getbbox() == BOX


@pytest.mark.django_db
def test_credits_are_held_then_captured_exactly_once(start, org):
    job = start()
    call = ProviderCall.objects.get(pk=job.call_id)
    handlers.dispatch(call, "finished", last_attempt=True)  # the finish task, run again
    entries = list(LedgerEntry.objects.filter(org=org).order_by("pk").values_list("kind", "amount", "held_delta"))
    assert entries[-2:] == [("hold", 0, 8), ("capture", -8, -8)]
    assert [kind for kind, *_ in entries].count("capture") == 1
    assert Asset.objects.filter(source=Asset.Source.EDITED).count() == 1
    assert Hold.objects.get(pk=job.hold_id).status == "captured"
    assert credits_available(org) == 12
    assert ledger_problems(org) == []


@pytest.mark.django_db
def test_what_the_inpaint_call_carries(start, photo):
    job = start()
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.operation == "inpaint"
    assert call.input["image_url"] == {"$asset": str(photo.public_id), "variant": "original"}
    assert call.input["mask_url"] == {"$key": job.mask_key}
    assert call.input["prompt"] == "add a nano banana on the table"
    assert call.input["enable_safety_checker"] is True
    assert "loras" not in call.input


@pytest.mark.django_db
def test_a_characters_face_model_and_trigger_word_go_with_the_edit(start, photo, ava):
    Asset.objects.filter(pk=photo.pk).update(character=ava)
    photo.refresh_from_db()
    job = start()
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.input["loras"] == [{"path": {"$key": ava.lora_key}, "scale": 1}]
    assert call.input["prompt"] == f"{ava.trigger_word}, add a nano banana on the table"
    assert call.input["enable_safety_checker"] is True
    result = job.result
    assert result.character == ava
    assert result.recipe["character"] == str(ava.public_id)
    assert result.recipe["lora"] == ava.lora_key
    assert result.recipe["trigger_word"] == ava.trigger_word


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("adult_org", "allowed", "covered", "checker"),
    [(True, True, True, False), (True, True, False, True), (False, True, True, True), (True, False, True, True)],
    ids=["permitted", "consent-does-not-cover", "org-setting-off", "character-not-allowed"],
)
def test_the_safety_checker_is_off_only_for_an_adult_image_of_a_permitted_character(
    start, org, people, photo, ava, adult_org, allowed, covered, checker
):
    type(org).objects.filter(pk=org.pk).update(adult_content=adult_org)
    Character.objects.filter(pk=ava.pk).update(nsfw_allowed=allowed)
    Consent.objects.create(
        org=org,
        character=ava,
        user=people.member,
        user_email="m@example.com",
        text_version="1",
        text="I consent.",
        covers_adult_content=covered,
    )
    Asset.objects.filter(pk=photo.pk).update(character=ava, nsfw=True)
    photo.refresh_from_db()
    job = start()
    assert ProviderCall.objects.get(pk=job.call_id).input["enable_safety_checker"] is checker
    assert job.result.nsfw is True  # the edit of an adult image is one too


@pytest.mark.django_db
def test_a_safe_image_keeps_the_checker_even_for_a_permitted_character(start, org, people, photo, ava):
    type(org).objects.filter(pk=org.pk).update(adult_content=True)
    Character.objects.filter(pk=ava.pk).update(nsfw_allowed=True)
    Consent.objects.create(
        org=org,
        character=ava,
        user=people.member,
        user_email="m@example.com",
        text_version="1",
        text="I consent.",
        covers_adult_content=True,
    )
    Asset.objects.filter(pk=photo.pk).update(character=ava)
    photo.refresh_from_db()
    job = start()
    assert ProviderCall.objects.get(pk=job.call_id).input["enable_safety_checker"] is True
    assert job.result.nsfw is False


# --- Inpaint: refusals, with nothing charged ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (lambda: mask_file(mask_png(box=None)), "Paint over the part you want to change."),
        (lambda: None, "Paint over the part you want to change."),
        (lambda: mask_file(b""), "Paint over the part you want to change."),
        (lambda: mask_file(mask_png(size=(100, 100))), "The mask is 100 × 100 px but the image is 160 × 120 px."),
        (
            lambda: mask_file(b"hello, not a picture", name="mask.txt"),
            "The mask isn't an image we can use. This file is a ",
        ),
        (
            lambda: mask_file(b"%PDF-1.7\n%\xe2\xe3", name="mask.pdf"),
            "The mask isn't an image we can use. This file is a ",
        ),
    ],
    ids=["all-black", "missing", "empty-file", "wrong-size", "text", "pdf"],
)
def test_a_bad_mask_is_refused_in_plain_words(people, org, fund, photo, mask, message):
    fund(20)
    with pytest.raises(edits.EditRefused) as exc:
        edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a red scarf", mask=mask())
    assert message in exc.value.errors["mask"]
    assert "prompt" not in exc.value.errors
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_an_empty_prompt_and_an_empty_mask_are_both_reported(people, org, fund, photo):
    fund(20)
    with pytest.raises(edits.EditRefused) as exc:
        edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="   ", mask=mask_file(mask_png(box=None)))
    assert exc.value.errors == {"prompt": edits.EMPTY_PROMPT, "mask": masks.EMPTY_MASK}
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_a_prompt_naming_a_minor_is_refused_and_recorded(people, org, fund, photo):
    fund(20)
    with pytest.raises(MinorsRefused) as exc:
        edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="add a teenage girl", mask=mask_file())
    assert exc.value.field == "prompt"
    refusal = SafetyRefusal.objects.get()
    assert (refusal.where, refusal.matched) == ("inpaint", "teenage")
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_without_enough_credits_nothing_is_held_or_stored(people, org, fund, photo, media_root):
    fund(5)
    with pytest.raises(InsufficientCredits) as exc:
        edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a red scarf", mask=mask_file())
    assert (exc.value.needed, exc.value.available) == (8, 5)
    nothing_charged(org, 5)
    assert not list(media_root.glob("orgs/*/masks/*"))


@pytest.mark.django_db
def test_videos_and_other_orgs_images_are_refused(people, org, fund, photo):
    fund(20)
    theirs = AssetFactory(org=people.other_org)
    with pytest.raises(DomainError, match="isn't in this organisation"):
        edits.inpaint_start(org=org, user=people.member, asset=theirs, prompt="a red scarf", mask=mask_file())
    Asset.objects.filter(pk=photo.pk).update(kind=Asset.Kind.VIDEO)
    photo.refresh_from_db()
    with pytest.raises(DomainError, match="this is a video"):
        edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a red scarf", mask=mask_file())
    with pytest.raises(DomainError, match="this is a video"):
        edits.clothes_start(org=org, user=people.member, asset=photo, outfit="casual_jeans")
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_the_same_form_sent_twice_starts_one_job(people, org, fund, photo):
    fund(20)
    key = "5f1b1b1e-2222-4111-8111-111111111111"
    first = edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a scarf", mask=mask_file(), key=key)
    second = edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a scarf", mask=mask_file(), key=key)
    assert first.pk == second.pk
    assert EditJob.objects.count() == 1
    assert credits_available(org) == 12


# --- Cancel, failure, retry ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_returns_the_credits(people, org, fund, photo, django_capture_on_commit_callbacks):
    fund(20)
    job = edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a scarf", mask=mask_file())
    assert credits_available(org) == 12
    run(django_capture_on_commit_callbacks, services.edit_job_cancel, job=job, user=people.member)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert ProviderCall.objects.get(pk=job.call_id).status == "cancelled"
    assert Hold.objects.get(pk=job.hold_id).status == "released"
    assert credits_available(org) == 20
    assert ledger_problems(org) == []


@pytest.mark.django_db
def test_a_failure_returns_the_credits_and_retry_reuses_the_prompt_and_mask(
    settings, start, org, people, django_capture_on_commit_callbacks
):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    failed = start(prompt="a red wool scarf")
    assert failed.status == "failed"
    assert "Simulated failure" in failed.error
    assert credits_available(org) == 20
    settings.DEMO_PROVIDER_FAILURE_RATE = 0.0
    again = run(django_capture_on_commit_callbacks, services.edit_job_retry, job=failed, user=people.member)
    again.refresh_from_db()
    assert again.status == "succeeded", again.error
    assert again.retry_of == failed
    assert again.params["prompt"] == "a red wool scarf"
    assert again.mask_key != failed.mask_key
    with storage.storage().open(again.mask_key, "rb") as a, storage.storage().open(failed.mask_key, "rb") as b:
        assert a.read() == b.read()
    assert ProviderCall.objects.get(pk=again.call_id).input["prompt"] == "a red wool scarf"
    assert credits_available(org) == 12
    assert ledger_problems(org) == []


@pytest.mark.django_db
def test_retry_needs_the_mask(settings, start, people):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    failed = start()
    storage.delete(failed.mask_key)
    with pytest.raises(DomainError, match="mask of this edit is gone"):
        services.edit_job_retry(job=failed, user=people.member)


@pytest.mark.django_db
def test_a_result_held_back_by_the_safety_checker_is_not_saved_or_charged(start, org, monkeypatch):
    real = demo._inpaint
    monkeypatch.setattr(demo, "_inpaint", lambda rid, args: {**real(rid, args), "has_nsfw_concepts": [True]})
    job = start()
    assert job.status == "failed"
    assert "safety checker held this image back" in job.error
    assert not Asset.objects.filter(source=Asset.Source.EDITED).exists()
    assert credits_available(org) == 20


# --- Analytics ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_inpaint_records_started_and_completed(start, photo, ava):
    Asset.objects.filter(pk=photo.pk).update(character=ava)
    photo.refresh_from_db()
    job = start()
    started, completed = events("inpaint_started"), events("inpaint_completed")
    assert started == [
        {
            "influencer_id": str(ava.public_id),
            "image_id": str(photo.public_id),
            "job_id": str(job.public_id),
            "mask_coverage_pct": 18.8,
            "retry": False,
        }
    ]
    assert completed[0]["image_id"] == str(photo.public_id)
    assert completed[0]["influencer_id"] == str(ava.public_id)
    assert completed[0]["duration_ms"] >= 0


@pytest.mark.django_db
def test_inpaint_records_a_failure_with_its_type(settings, start, photo):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    start()
    assert events("inpaint_failed") == [
        {
            "influencer_id": None,
            "image_id": str(photo.public_id),
            "job_id": str(EditJob.objects.get().public_id),
            "error_type": "provider_error",
        }
    ]
    assert events("inpaint_completed") == []


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
        "image_url": {"$asset": str(photo.public_id), "variant": "original"},
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
    assert call.input["model_image"] == {"$asset": str(photo.public_id), "variant": "original"}
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
    assert SafetyRefusal.objects.get().where == "clothes"
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


# --- Pages ------------------------------------------------------------------------------------------------


def _url(name, org, asset):
    return reverse(f"generation:{name}", args=[org.slug, asset.public_id])


@pytest.mark.django_db
def test_the_asset_page_offers_both_edits_with_their_prices(login, org, fund, photo):
    fund(10)
    html = login("member").get(reverse("assets:detail", args=[org.slug, photo.public_id])).content.decode()
    assert _url("inpaint", org, photo) in html
    assert "Edit (inpaint)…" in html
    assert "8 credits" in html
    # 10 credits don't cover a clothing change: disabled, with the reason.
    assert _url("clothes", org, photo) not in html
    assert "Changing clothes needs 12 credits and you have 10 available" in html


@pytest.mark.django_db
def test_viewers_are_not_offered_the_edits(login, org, fund, photo):
    fund(20)
    html = login("viewer").get(reverse("assets:detail", args=[org.slug, photo.public_id])).content.decode()
    assert _url("inpaint", org, photo) not in html
    assert _url("clothes", org, photo) not in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["inpaint", "clothes"])
def test_viewers_get_403_and_outsiders_404(client, people, org, fund, photo, name):
    fund(20)
    client.force_login(people.viewer)
    assert client.get(_url(name, org, photo)).status_code == 403
    assert client.post(_url(name, org, photo), {"outfit": "casual_jeans"}).status_code == 403
    client.force_login(people.outsider)
    assert client.get(_url(name, org, photo)).status_code == 404
    theirs = AssetFactory(org=people.other_org)
    client.force_login(people.member)
    assert client.get(_url(name, org, theirs)).status_code == 404
    assert not EditJob.objects.exists()


@pytest.mark.django_db
def test_the_inpaint_page_paints_at_the_originals_size_and_records_the_visit(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    with django_capture_on_commit_callbacks(execute=True):
        html = login("member").get(_url("inpaint", org, photo)).content.decode()
    assert '<canvas width="160" height="120"' in html
    assert 'name="mask"' in html
    assert 'name="prompt"' in html
    assert "Apply · 8 credits" in html
    assert "You have <strong>20</strong> credits available" in html
    assert events("image_edit_opened") == [{"influencer_id": None, "image_id": str(photo.public_id), "edit": "inpaint"}]


@pytest.mark.django_db
def test_applying_goes_to_the_job_page_which_shows_the_result_beside_the_original(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("inpaint", org, photo),
            {"prompt": "add a nano banana", "mask": mask_file(), "key": "8a1b1b1e-3333-4111-8111-111111111111"},
        )
    job = EditJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'alt="The original"' in html
    assert 'alt="The result"' in html
    assert "add a nano banana" in html
    assert "labelled placeholder painted into the mask, not AI" in html
    assert "8 credits charged" in html


@pytest.mark.django_db
def test_a_refused_mask_comes_back_with_the_reason_and_the_description_kept(login, org, fund, photo):
    fund(20)
    response = login("member").post(
        _url("inpaint", org, photo), {"prompt": "add a nano banana", "mask": mask_file(mask_png(size=(80, 60)))}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The mask is 80 × 60 px but the image is 160 × 120 px." in html
    assert ">add a nano banana</textarea>" in html
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_without_credits_the_page_says_the_numbers_and_keeps_the_mask(login, org, fund, photo):
    fund(5)
    response = login("member").post(_url("inpaint", org, photo), {"prompt": "a red scarf", "mask": mask_file()})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This edit needs 8 credits and you have 5 available. Nothing was charged." in html
    assert 'data-mask-src="data:image/png;base64,' in html
    assert ">a red scarf</textarea>" in html
    nothing_charged(org, 5)


@pytest.mark.django_db
def test_a_double_click_starts_one_job(login, org, fund, photo):
    fund(20)
    client = login("member")
    data = {"prompt": "a scarf", "key": "8a1b1b1e-4444-4111-8111-111111111111"}
    first = client.post(_url("inpaint", org, photo), {**data, "mask": mask_file()})
    second = client.post(_url("inpaint", org, photo), {**data, "mask": mask_file()})
    assert first["Location"] == second["Location"]
    assert EditJob.objects.count() == 1
    assert credits_available(org) == 12


@pytest.mark.django_db
def test_a_video_has_no_edit_form(login, org, fund, photo):
    fund(20)
    Asset.objects.filter(pk=photo.pk).update(kind=Asset.Kind.VIDEO)
    html = login("member").get(_url("inpaint", org, photo)).content.decode()
    assert "This can't be inpainted" in html
    assert "this is a video" in html
    assert "<canvas" not in html


@pytest.mark.django_db
def test_a_failed_edit_can_be_painted_again_from_its_job(settings, login, start, org, photo):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    failed = start(prompt="a red wool scarf")
    client = login("member")
    card = client.get(reverse("generation:job_card", args=[org.slug, failed.public_id])).content.decode()
    again_url = _url("inpaint", org, photo) + f"?from={failed.public_id}"
    assert again_url in card
    assert "Retry (8 credits)" in card
    html = client.get(again_url).content.decode()
    assert ">a red wool scarf</textarea>" in html
    assert 'data-mask-src="data:image/png;base64,' in html


@pytest.mark.django_db
def test_the_finished_card_brings_the_result_onto_the_job_page(login, start, org):
    job = start()
    response = login("member").get(reverse("generation:job_card", args=[org.slug, job.public_id]))
    html = response.content.decode()
    assert response.status_code == 286
    assert 'id="job-pair" hx-swap-oob="true"' in html
    assert 'id="job-details" hx-swap-oob="true"' in html
    assert 'alt="The result"' in html
    compact = login("member").get(reverse("generation:job_card", args=[org.slug, job.public_id]) + "?compact=1")
    assert "hx-swap-oob" not in compact.content.decode()


@pytest.mark.django_db
def test_the_clothes_page_shows_the_twenty_outfits_and_the_library(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    garment = AssetFactory(org=org, filename="jacket.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        html = login("member").get(_url("clothes", org, photo)).content.decode()
    assert html.count('name="outfit"') == 20
    assert "Cosy knit sweater" in html
    assert f'value="{garment.public_id}"' in html
    assert f'value="{photo.public_id}"' not in html  # not itself
    assert "Change clothes · 12 credits" in html
    assert events("image_edit_opened")[0]["edit"] == "clothes"


@pytest.mark.django_db
def test_picking_an_outfit_starts_the_change(login, org, fund, photo):
    fund(20)
    response = login("member").post(_url("clothes", org, photo), {"via": "outfit", "outfit": "business_suit"})
    job = EditJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.kind == "clothes"
    assert job.params["outfit_words"] == "a tailored business suit"


@pytest.mark.django_db
def test_an_uploaded_clothing_photo_is_kept_in_the_library_and_tried_on(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    upload = SimpleUploadedFile("jacket.jpg", jpeg_bytes((90, 120), seed=7), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(
            _url("clothes", org, photo), {"via": "photo", "outfit": "casual_jeans", "clothing": upload}
        )
    assert response.status_code == 302
    job = EditJob.objects.get()
    garment = Asset.objects.get(title="Clothing for beach")
    assert garment.source == Asset.Source.UPLOAD
    assert job.reference == garment
    assert job.params["via"] == "photo"
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert set(job.result.parents.all()) == {photo, garment}


@pytest.mark.django_db
def test_a_clothing_file_that_is_not_an_image_is_refused_next_to_the_field(login, org, fund, photo):
    fund(20)
    upload = SimpleUploadedFile("jacket.jpg", b"GIF89a not really", content_type="image/jpeg")
    response = login("member").post(_url("clothes", org, photo), {"via": "photo", "clothing": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<ul class="errors" id="clothing-errors">\s*<li>This file is a GIF image', html)
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_choosing_a_library_image_and_a_refusal_keeps_the_choice(login, org, fund, photo):
    fund(5)
    garment = AssetFactory(org=org, filename="dress.jpg")
    response = login("member").post(
        _url("clothes", org, photo), {"via": "photo", "clothing_asset": str(garment.public_id)}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This edit needs 12 credits and you have 5 available." in html
    assert f'value="{garment.public_id}" checked' in html
    assert 'value="photo" id="via-photo" checked' in html
    nothing_charged(org, 5)


@pytest.mark.django_db
def test_neither_outfit_nor_photo_is_explained(login, org, fund, photo):
    fund(20)
    client = login("member")
    html = client.post(_url("clothes", org, photo), {"via": "outfit"}).content.decode()
    assert edits.NO_OUTFIT in html
    html = client.post(_url("clothes", org, photo), {"via": "photo"}).content.decode()
    assert edits.NO_CLOTHING in html
    nothing_charged(org, 20)
