"""Which model makes a pack, by quality, and the style LoRAs staff add: Z-Image drafts with the
character's Z-Image LoRA, FLUX for HQ and for characters trained before Z-Image drafts, PuLID in
face-swap mode, style LoRAs loaded by scene, adult-content setting and model, and the recipe
saying what was used."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from assets import storage
from core.exceptions import DomainError
from generation import packs
from generation.models import GenerationImage, StyleLora
from generation.packs import PackRecipe
from providers.adapters.demo import demo_safetensors
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db

INSTAGRAM = "https://huggingface.co/looks/instagram/resolve/main/instagram_zimage.safetensors"


def start(capture, character, user, **recipe):
    with capture(execute=True):
        job = packs.pack_start(character=character, user=user, recipe=PackRecipe(count=1, **recipe))
    job.refresh_from_db()
    return job


def sent(job) -> dict:
    image = GenerationImage.objects.get(job=job)
    return ProviderCall.objects.get(pk=image.call_id).input


def recipe(job) -> dict:
    return GenerationImage.objects.select_related("asset").get(job=job).asset.metadata["recipe"]


@pytest.fixture
def zimage_character(hd_character):
    """An HD character whose training also made a Z-Image LoRA."""
    key = storage.lora_key(hd_character.org, hd_character).removesuffix(".safetensors") + ".zimage-run.safetensors"
    data = demo_safetensors(images=20, trigger_word=f"{hd_character.trigger_word} person", steps=1000)
    hd_character.zimage_lora_key = storage.storage().save(key, ContentFile(data))
    hd_character.save()
    return hd_character


def look(**fields) -> StyleLora:
    values = {
        "name": "Instagram look",
        "slug": "instagram-zimage",
        "url": INSTAGRAM,
        "base": "zimage",
        "scale": Decimal("0.8"),
        "applies_to": ["candid_lifestyle"],
        "active": True,
        **fields,
    }
    return StyleLora.objects.create(**values)


def allow_adult_content(character, people):
    from characters.services import consent_record
    from characters.synthetic import attestation_record

    character.org.adult_content = True
    character.org.save()
    if character.origin == "wizard":
        attestation_record(character=character, user=people.owner, ip=None)
    else:
        consent_record(character=character, user=people.member, ip=None, covers_adult_content=True)
    character.nsfw_allowed = True
    character.save()


def test_a_draft_uses_z_image_with_the_characters_z_image_lora(
    zimage_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    job = start(django_capture_on_commit_callbacks, zimage_character, people.member, quality="draft")

    assert (job.status, job.mode, job.operation, job.steps, job.price_per_image) == (
        "succeeded",
        "hd",
        "image_draft",
        8,
        4,
    )
    image = GenerationImage.objects.get(job=job)
    call = ProviderCall.objects.get(pk=image.call_id)
    assert call.endpoint_id == "fal-ai/z-image/turbo/lora"
    assert call.input["loras"] == [{"path": {"$key": zimage_character.zimage_lora_key}, "scale": 1}]
    assert (call.input["num_inference_steps"], call.input["output_format"]) == (8, "jpeg")
    assert "guidance_scale" not in call.input  # Z-Image Turbo takes none
    assert call.input["prompt"].startswith(zimage_character.trigger_word)
    kept = recipe(job)
    assert (kept["model"], kept["model_label"], kept["endpoint"]) == (
        "Labelled placeholder (demo provider, not AI)",
        "Z-Image Turbo",
        "fal-ai/z-image/turbo/lora",
    )
    assert (kept["lora"], kept["steps"], kept["style_loras"]) == (zimage_character.zimage_lora_key, 8, [])


def test_hq_stays_on_flux_with_the_flux_lora(zimage_character, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    job = start(django_capture_on_commit_callbacks, zimage_character, people.member, quality="hq")

    assert (job.operation, job.steps, job.price_per_image) == ("image_lora", 40, 8)
    assert sent(job)["loras"] == [{"path": {"$key": zimage_character.lora_key}, "scale": 1}]
    assert recipe(job)["lora"] == zimage_character.lora_key


def test_a_character_trained_before_z_image_drafts_keeps_flux_drafts_at_the_same_price(
    hd_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    job = start(django_capture_on_commit_callbacks, hd_character, people.member, quality="draft")

    assert (job.operation, job.steps, job.price_per_image) == ("image_lora", 20, 4)
    assert ProviderCall.objects.get(pk=GenerationImage.objects.get(job=job).call_id).endpoint_id == "fal-ai/flux-lora"


def test_face_swap_characters_use_pulid_for_both_qualities_and_no_style_loras(
    swap_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    look(base="flux", applies_to=["always"])
    for quality in ("draft", "hq"):
        job = start(django_capture_on_commit_callbacks, swap_character, people.member, quality=quality)
        assert (job.operation, job.style_loras) == ("image_pulid", [])
        assert "loras" not in sent(job)


def test_an_active_style_lora_for_the_scene_is_loaded_next_to_the_character_lora_and_kept_in_the_recipe(
    zimage_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    look()
    job = start(django_capture_on_commit_callbacks, zimage_character, people.member, scene="candid_lifestyle")

    assert sent(job)["loras"] == [
        {"path": {"$key": zimage_character.zimage_lora_key}, "scale": 1},
        {"path": INSTAGRAM, "scale": 0.8},
    ]
    assert recipe(job)["style_loras"] == [{"name": "Instagram look", "scale": 0.8}]

    other_scene = start(django_capture_on_commit_callbacks, zimage_character, people.member, scene="night_out")
    assert len(sent(other_scene)["loras"]) == 1


def test_inactive_style_loras_are_never_loaded(zimage_character, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    look(active=False)
    job = start(django_capture_on_commit_callbacks, zimage_character, people.member, scene="candid_lifestyle")
    assert len(sent(job)["loras"]) == 1


def test_an_adult_style_lora_is_only_loaded_in_adult_packs(
    zimage_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    allow_adult_content(zimage_character, people)
    look(
        name="NSFW look",
        slug="nsfw-zimage",
        url=INSTAGRAM.replace("instagram", "nsfw"),
        nsfw=True,
        applies_to=["always"],
    )

    plain = start(django_capture_on_commit_callbacks, zimage_character, people.member)
    assert [lora["path"] for lora in sent(plain)["loras"][1:]] == []
    adult = start(django_capture_on_commit_callbacks, zimage_character, people.member, nsfw=True)
    assert [lora["path"] for lora in sent(adult)["loras"][1:]] == [INSTAGRAM.replace("instagram", "nsfw")]
    assert recipe(adult)["style_loras"] == [{"name": "NSFW look", "scale": 0.8}]


def test_a_style_lora_loads_only_in_the_model_it_was_trained_for(
    zimage_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    flux_url = INSTAGRAM.replace("zimage", "flux")
    look(name="Instagram look (FLUX)", slug="instagram-flux", url=flux_url, base="flux", applies_to=["always"])

    draft = start(django_capture_on_commit_callbacks, zimage_character, people.member, quality="draft")
    assert len(sent(draft)["loras"]) == 1  # Z-Image: the FLUX look stays out
    hq = start(django_capture_on_commit_callbacks, zimage_character, people.member, quality="hq")
    assert sent(hq)["loras"][1:] == [{"path": flux_url, "scale": 0.8}]


def test_z_image_drafts_take_at_most_three_loras(zimage_character, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    for n in range(3):
        look(name=f"Look {n}", slug=f"look-{n}", url=INSTAGRAM.replace("instagram", f"look{n}"), applies_to=["always"])
    job = start(django_capture_on_commit_callbacks, zimage_character, people.member)
    assert [lora["scale"] for lora in sent(job)["loras"]] == [1, 0.8, 0.8]
    assert [lora["name"] for lora in job.style_loras] == ["Look 0", "Look 1"]


def test_a_z_image_draft_is_not_retried_once_the_face_model_was_trained_again(
    zimage_character, people, fund, settings, django_capture_on_commit_callbacks
):
    fund(100)
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    job = start(django_capture_on_commit_callbacks, zimage_character, people.member)
    image = GenerationImage.objects.get(job=job)
    assert image.status == "failed"
    zimage_character.zimage_lora_key = ""  # retrained: the new Z-Image LoRA isn't ready yet
    zimage_character.save()
    with pytest.raises(DomainError, match="face model was trained again"):
        packs.image_retry(image=image, user=people.member)


def test_a_flux_draft_started_before_the_z_image_lora_arrived_is_retried_on_flux(
    hd_character, people, fund, settings, django_capture_on_commit_callbacks
):
    fund(100)
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    job = start(django_capture_on_commit_callbacks, hd_character, people.member)
    hd_character.zimage_lora_key = "orgs/x/loras/new.zimage.safetensors"
    hd_character.save()
    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    with django_capture_on_commit_callbacks(execute=True):
        retried = packs.image_retry(image=GenerationImage.objects.get(job=job), user=people.member)
    assert ProviderCall.objects.get(pk=retried.call_id).endpoint_id == "fal-ai/flux-lora"
    assert GenerationImage.objects.get(pk=retried.pk).status == "succeeded"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "http://example.com/look.safetensors"}, "url"),
        ({"url": "https://example.com/look.ckpt"}, "url"),
        ({"url": "", "active": True}, "url"),
        ({"applies_to": ["the_moon"]}, "applies_to"),
    ],
)
def test_staff_are_told_what_is_wrong_with_a_style_lora(fields, field):
    lora = StyleLora(name="Look", slug="look", base="zimage", **{"url": INSTAGRAM, **fields})
    with pytest.raises(ValidationError) as exc:
        lora.full_clean()
    assert field in exc.value.message_dict


def test_the_planned_looks_are_seeded_inactive_without_a_file():
    seeded = {lora.slug: lora for lora in StyleLora.objects.all()}
    assert set(seeded) == {"instagram-look", "nsfw-look"}
    assert all(not lora.active and lora.url == "" for lora in seeded.values())
    assert seeded["nsfw-look"].nsfw is True
    assert seeded["instagram-look"].nsfw is False
