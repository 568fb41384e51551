"""Image packs on the demo provider: a pack end to end, the mode and model chosen, the recipe kept
with every image, likeness scores, partial failure with refunds and a retry, cancel, re-runs and
variations, and every refusal a person can meet."""

from itertools import chain, repeat

import pytest

from analytics.models import Event as AnalyticsEvent
from assets.models import Asset
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from generation import packs, presets
from generation.models import GenerationImage, GenerationJob
from generation.packs import PackRecipe
from providers.adapters import demo
from providers.models import ProviderCall
from safety.models import SafetyEvent

pytestmark = pytest.mark.django_db


def start(capture, character, user, recipe=None, key="", **kwargs):
    with capture(execute=True):
        job = packs.pack_start(character=character, user=user, recipe=recipe or PackRecipe(), key=key, **kwargs)
    job.refresh_from_db()
    return job


def images(job):
    return list(GenerationImage.objects.filter(job=job).select_related("asset").order_by("position"))


def test_a_pack_in_hd_mode_delivers_every_image_with_its_recipe_and_score(
    hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(100)
    recipe = PackRecipe(scene="night_out", environment="urban_street", outfit="evening_gown", seed=41)

    job = start(django_capture_on_commit_callbacks, hd_character, people.member, recipe)

    assert (job.status, job.mode, job.operation, job.count) == ("succeeded", "hd", "image_lora", 5)
    assert (job.width, job.height, job.steps) == (768, 1360, 20)  # 9:16 draft: at most 1 MP
    made = images(job)
    assert [i.status for i in made] == ["succeeded"] * 5
    assert [i.seed for i in made] == [41, 42, 43, 44, 45]
    calls = ProviderCall.objects.filter(pk__in=[i.call_id for i in made])
    assert {c.endpoint_id for c in calls} == {"fal-ai/flux-lora"}
    sent = calls.first().input
    assert sent["loras"] == [{"path": {"$key": hd_character.lora_key}, "scale": 1}]
    assert sent["prompt"].startswith(hd_character.trigger_word + ", Photo of a 27 year old")
    assert "an elegant evening gown" in sent["prompt"]
    assert "glamorous night look" in sent["prompt"]
    assert "on a city street" in sent["prompt"]
    assert sent["enable_safety_checker"] is True
    assert sent["image_size"] == {"width": 768, "height": 1360}

    asset = made[0].asset
    assert asset.source == Asset.Source.GENERATED
    assert asset.character_id == hd_character.pk
    recipe_kept = asset.metadata["recipe"]
    assert recipe_kept["prompt"] == made[0].prompt
    assert (recipe_kept["scene"], recipe_kept["environment"], recipe_kept["outfit"]) == (
        "night_out",
        "urban_street",
        "evening_gown",
    )
    assert (recipe_kept["mode"], recipe_kept["seed"], recipe_kept["steps"], recipe_kept["cost"]) == ("hd", 41, 20, 4)
    assert recipe_kept["lora"] == hd_character.lora_key
    assert (recipe_kept["width"], recipe_kept["height"]) == (768, 1360)
    # Demo placeholders have no face: scored, with no score; never a made-up number.
    assert all(i.scored and i.identity_score is None for i in made)
    assert recipe_kept["model"].startswith("Labelled placeholder")

    assert credits_available(org) == 80
    assert Hold.objects.get(pk=job.hold_id).captured_amount == 20
    assert ledger_problems(org) == []
    names = list(AnalyticsEvent.objects.values_list("name", flat=True))
    assert names.count("generation_started") == 1
    assert names.count("generation_image_completed") == 5
    assert names.count("generation_pack_completed") == 1
    # The Studio's choices, recorded with the pack that used them (seed 003's events).
    assert names.count("scene_selected") == 1
    assert names.count("environment_selected") == 1
    assert AnalyticsEvent.objects.get(name="outfit_changed").properties["outfit"] == "evening_gown"
    assert AnalyticsEvent.objects.get(name="scene_selected").properties["scene"] == "night_out"


def test_face_swap_mode_uses_pulid_with_the_base_image_and_says_a_demo_face_is_not_scored(
    swap_character, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    job = start(django_capture_on_commit_callbacks, swap_character, people.member, PackRecipe(count=1))
    assert (job.mode, job.operation) == ("face_swap", "image_pulid")
    image = images(job)[0]
    sent = ProviderCall.objects.get(pk=image.call_id).input
    assert sent["reference_image_url"] == {"$asset": str(swap_character.base_image.public_id), "variant": "preview"}
    assert not sent["prompt"].startswith(swap_character.trigger_word)  # no LoRA, no trigger word
    # The demo returns the base image's own face re-cropped: measuring it against itself says
    # nothing, so it is "not scored" rather than given a flattering number.
    assert image.scored
    assert image.identity_score is None
    assert image.asset.likeness_status == Asset.Likeness.NOT_SCORED
    assert image.asset.metadata["recipe"]["identity_score"] is None


def test_with_a_demo_face_pool_the_pasted_photo_is_really_scored(
    swap_character, people, fund, settings, django_capture_on_commit_callbacks
):
    from characters.tests.photos import FACES_DIR

    settings.DEMO_FACE_POOL = [str(FACES_DIR / "person-a-2.jpg"), str(FACES_DIR / "person-b-1.jpg")]
    fund(100)
    job = start(django_capture_on_commit_callbacks, swap_character, people.member, PackRecipe(count=1, seed=10))
    same, other = images(job)[0], None
    assert same.identity_score >= packs.IDENTITY_THRESHOLD  # seed 10: person A, the character
    job = start(django_capture_on_commit_callbacks, swap_character, people.member, PackRecipe(count=1, seed=11))
    other = images(job)[0]
    assert other.identity_score < packs.IDENTITY_THRESHOLD  # seed 11: person B
    assert other.asset.likeness == other.identity_score


def test_hq_is_40_steps_at_about_2_mp_and_costs_more(
    hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(100)
    job = start(
        django_capture_on_commit_callbacks,
        hd_character,
        people.member,
        PackRecipe(quality="hq", aspect_ratio="16:9", count=1),
    )
    assert (job.steps, job.width, job.height, job.price_per_image) == (40, 1920, 1088, 8)
    assert credits_available(org) == 92


@pytest.mark.parametrize("aspect", [a.key for a in presets.ASPECTS])
def test_drafts_stay_at_or_under_one_megapixel(aspect):
    width, height = presets.size(aspect, "draft")
    assert width * height <= 1024 * 1024
    assert width % 16 == 0
    assert height % 16 == 0


# --- Partial failure, retry, cancel ----------------------------------------------------------------


def test_two_failures_out_of_five_are_refunded_and_one_can_be_retried(
    hd_character, people, org, fund, settings, monkeypatch, django_capture_on_commit_callbacks
):
    fund(100)
    settings.DEMO_PROVIDER_FAILURE_RATE = 0.5
    # The demo draws once per call, in order: images 2 and 4 fail.
    draws = chain([0.9, 0.1, 0.9, 0.1, 0.9], repeat(0.9))
    monkeypatch.setattr(demo.random, "random", lambda: next(draws))

    job = start(django_capture_on_commit_callbacks, hd_character, people.member)

    made = images(job)
    assert [i.status for i in made] == ["succeeded", "failed", "succeeded", "failed", "succeeded"]
    assert "Simulated failure" in made[1].error
    assert job.status == "succeeded"  # partial success is success
    assert credits_available(org) == 100 - 3 * 4
    hold = Hold.objects.get(pk=job.hold_id)
    assert (hold.status, hold.captured_amount) == ("captured", 12)
    assert AnalyticsEvent.objects.filter(name="generation_failed").count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        packs.image_retry(image=made[1], user=people.member)
    retried = GenerationImage.objects.get(pk=made[1].pk)
    assert (retried.status, retried.attempts, retried.seed) == ("succeeded", 2, made[1].seed)
    assert Hold.objects.get(pk=retried.hold_id).captured_amount == 4
    # Its library image counts the failed attempt behind it; the demo provider billed neither.
    assert (retried.asset.credits_cost, retried.asset.provider_cost_usd) == (4, 0)
    assert ProviderCall.objects.filter(subject_id=str(retried.pk), status="failed").count() == 1
    assert made[0].asset.credits_cost == 4
    assert credits_available(org) == 100 - 4 * 4
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert Hold.objects.get(pk=job.hold_id).captured_amount == 12  # the pack's own charge is unchanged
    assert ledger_problems(org) == []

    with pytest.raises(DomainError, match="Only a failed or cancelled image"):
        packs.image_retry(image=retried, user=people.member)


def test_a_pack_where_nothing_arrives_fails_and_charges_nothing(
    hd_character, people, org, fund, settings, django_capture_on_commit_callbacks
):
    fund(100)
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    job = start(django_capture_on_commit_callbacks, hd_character, people.member)
    assert job.status == "failed"
    assert job.error.startswith("None of the 5 images came back.")
    assert credits_available(org) == 100
    assert Hold.objects.get(pk=job.hold_id).status == "released"


def test_cancel_stops_the_unstarted_images_and_returns_their_credits(
    hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(100)
    with django_capture_on_commit_callbacks(execute=False) as submits:
        job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe())
    assert credits_available(org) == 80  # held

    stopped = packs.pack_cancel(job=job, user=people.member)

    assert stopped == 5
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert credits_available(org) == 100
    for callback in submits:  # the workers get the submits after the cancel: nothing is made
        callback()
    assert all(i.status == "cancelled" for i in images(job))
    assert not Asset.objects.filter(source="generated").exists()
    with pytest.raises(DomainError, match="already finished"):
        packs.pack_cancel(job=job, user=people.member)
    assert ledger_problems(org) == []


def test_deleting_the_character_cancels_its_running_packs_and_keeps_finished_images(
    hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    from characters import deletion

    fund(100)
    done = start(django_capture_on_commit_callbacks, hd_character, people.member, PackRecipe(count=1))
    with django_capture_on_commit_callbacks(execute=False):
        running = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe())
    with django_capture_on_commit_callbacks(execute=True):
        deletion.character_delete(character=hd_character, user=people.member)

    running.refresh_from_db()
    assert running.status == "cancelled"
    assert running.character is None
    assert running.character_name == "Nova Reyes"
    assert credits_available(org) == 96  # only the finished image was paid for
    kept = images(done)[0].asset
    kept.refresh_from_db()
    assert kept.character is None  # the image stays in the library


# --- Re-runs and variations -------------------------------------------------------------------------


def test_a_rerun_repeats_prompts_seeds_and_settings(hd_character, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    first = start(
        django_capture_on_commit_callbacks,
        hd_character,
        people.member,
        PackRecipe(scene="beach_day", environment="beach", aspect_ratio="1:1", prompt_text="holding a surfboard"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = packs.pack_rerun(job=first, user=people.member)
    assert again.origin == "rerun"
    assert again.source_job_id == first.pk
    assert [(i.prompt, i.seed) for i in images(again)] == [(i.prompt, i.seed) for i in images(first)]
    assert (again.scene, again.environment, again.aspect_ratio, again.prompt_text) == (
        "beach_day",
        "beach",
        "1:1",
        "holding a surfboard",
    )


def test_one_image_again_and_four_variations_of_it(hd_character, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    first = start(django_capture_on_commit_callbacks, hd_character, people.member, PackRecipe(seed=7))
    source = images(first)[2]
    with django_capture_on_commit_callbacks(execute=True):
        same = packs.image_rerun(image=source, user=people.member)
        variations = packs.image_rerun(image=source, user=people.member, variations=4)
    assert [(i.prompt, i.seed) for i in images(same)] == [(source.prompt, source.seed)]
    made = images(variations)
    assert len(made) == 4
    assert variations.origin == "variations"
    assert {i.prompt for i in made} == {source.prompt}
    assert source.seed not in {i.seed for i in made}


# --- Refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipe", "field", "message"),
    [
        (PackRecipe(count=11), "count", "Choose 1, 5 or 10 images."),
        (PackRecipe(scene="rooftop_party"), "scene", "Choose one of the eight scenes."),
        (PackRecipe(environment="moon"), "environment", "Choose one of the seven environments."),
        (PackRecipe(aspect_ratio="3:2"), "aspect_ratio", "Choose 1:1, 9:16, 16:9, 2:3 or 4:3."),
        (PackRecipe(quality="ultra"), "quality", "Choose draft or HQ."),
        (PackRecipe(outfit="spacesuit"), "outfit", "Choose one of the twenty outfits"),
        (PackRecipe(outfit="clothing"), "clothing", "Upload a photo of the clothing"),
        (PackRecipe(seed=-1), "seed", "A seed is a whole number"),
        (PackRecipe(nsfw=True), "nsfw", "Adult content isn't allowed for Nova Reyes."),
    ],
)
def test_a_bad_recipe_is_refused_with_its_reason_and_nothing_held(
    hd_character, people, org, fund, recipe, field, message
):
    fund(100)
    with pytest.raises(DomainError, match=message) as refused:
        packs.pack_start(character=hd_character, user=people.member, recipe=recipe)
    assert refused.value.field == field
    assert not GenerationJob.objects.exists()
    assert credits_available(org) == 100


def test_ten_images_with_credits_for_five_are_refused_with_the_exact_numbers(hd_character, people, org, fund):
    fund(25)
    with pytest.raises(DomainError) as refused:
        packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=10))
    assert refused.value.message == (
        "10 images need 40 credits and you have 25 available. 5 images (20 credits) would fit, or add credits."
    )
    assert not GenerationJob.objects.exists()
    assert not Hold.objects.exists()
    assert credits_available(org) == 25


def test_a_prompt_naming_a_minor_is_refused_and_kept_for_staff(hd_character, people, org, fund):
    fund(100)
    with pytest.raises(DomainError, match="Prompts can't mention children or anyone under 18") as refused:
        packs.pack_start(
            character=hd_character,
            user=people.member,
            recipe=PackRecipe(prompt_text="dressed as a schoolgirl, playful"),
        )
    assert refused.value.field == "prompt_text"
    refusal = SafetyEvent.objects.get()
    assert (refusal.org, refusal.user, refusal.matched, refusal.where) == (org, people.member, "schoolgirl", "studio")
    assert refusal.rule == "minor_word"
    assert not GenerationJob.objects.exists()
    assert credits_available(org) == 100


def test_a_double_click_starts_one_pack(hd_character, people, org, fund):
    fund(100)
    first = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(), key="k1")
    second = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(), key="k1")
    assert first.pk == second.pk
    assert GenerationJob.objects.count() == 1
    assert credits_available(org) == 80


def test_a_character_without_a_face_cannot_generate(org, people, fund):
    from characters.models import Character

    fund(100)
    faceless = Character.objects.create(org=org, name="Blank", origin="wizard")
    with pytest.raises(DomainError, match="has no face to generate from yet"):
        packs.pack_start(character=faceless, user=people.member, recipe=PackRecipe())


def test_adult_content_turns_the_safety_checker_off_only_when_allowed(
    hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    from characters.synthetic import attestation_record

    fund(100)
    org.adult_content = True
    org.save()
    attestation_record(character=hd_character, user=people.owner, ip=None)  # a wizard character
    hd_character.nsfw_allowed = True
    hd_character.save()

    job = start(django_capture_on_commit_callbacks, hd_character, people.member, PackRecipe(count=1, nsfw=True))

    image = images(job)[0]
    assert ProviderCall.objects.get(pk=image.call_id).input["enable_safety_checker"] is False
    assert image.asset.nsfw is True


def test_clothing_goes_on_after_each_image_and_costs_a_clothing_change(
    hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    from assets.tests.factories import AssetFactory

    fund(100)
    garment = AssetFactory(org=org, filename="jacket.jpg", size=(400, 500))
    job = start(
        django_capture_on_commit_callbacks,
        hd_character,
        people.member,
        PackRecipe(count=1, outfit="clothing", clothing=garment),
    )
    assert job.price_per_image == 4 + 12
    image = images(job)[0]
    assert (image.status, image.stage) == ("succeeded", "tryon")
    tryon = ProviderCall.objects.get(pk=image.call_id)
    assert tryon.operation == "tryon"
    assert tryon.input["garment_image"] == {"$asset": str(garment.public_id), "variant": "preview"}
    assert set(image.asset.parents.all()) == {garment}
    assert credits_available(org) == 100 - 16
