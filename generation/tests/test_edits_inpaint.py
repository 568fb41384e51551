"""Inpaint on the demo provider: the service end to end, its refusals, cancel, failure, retry and analytics."""

import pytest
from PIL import Image, ImageChops, ImageStat

from assets import storage
from assets.models import Asset
from assets.tests.factories import AssetFactory
from billing.models import Hold, LedgerEntry
from billing.services import InsufficientCredits, credits_available, ledger_problems
from characters.models import Character, Consent
from core.exceptions import DomainError
from generation import edits, masks, services
from generation.models import EditJob
from generation.tests.edit_helpers import BOX, SIZE, events, mask_file, mask_png, nothing_charged, run, shades
from providers import handlers
from providers.adapters import demo
from providers.models import ProviderCall
from safety.models import SafetyEvent
from safety.screen import MinorsRefused


def opened(asset) -> Image.Image:
    with storage.storage().open(asset.original_key, "rb") as fh:
        image = Image.open(fh)
        image.load()
    return image.convert("RGB")


def difference(a: Image.Image, b: Image.Image, box) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


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
    # Painted inside the mask, untouched (but for JPEG noise) outside it and the demo's labels (the
    # DEMO band across the top 14 px, the corner label at the bottom left).
    after = opened(result)
    assert difference(before, after, (50, 40, 90, 80)) > 20
    assert difference(before, after, (110, 16, 160, 30)) < 6
    assert difference(before, after, (0, 0, 160, 14)) > 20  # the band
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
    assert call.input["image_url"] == {"$asset": str(photo.public_id), "variant": "edit"}
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
    refusal = SafetyEvent.objects.get()
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
