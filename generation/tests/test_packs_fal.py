"""Packs against the emulated providers through the real client libraries: fal's queue for
``fal-ai/flux-lora`` (HD) and ``fal-ai/flux-pulid`` (face swap) with polling, webhooks, a held-back
NSFW result, an expired output and a failure; xAI for "Write prompts for me" and for describing a
library image."""

import json

import pytest
from django.urls import reverse

from assets import storage
from billing.services import credits_available, ledger_problems
from generation import drafts, packs
from generation.models import GenerationImage, PromptDraft
from generation.packs import PackRecipe
from providers import gateway
from providers.models import ProviderCall
from tests.provider_fixtures import provider_fetch

pytestmark = pytest.mark.django_db

LORA = "fal-ai/flux-lora"
PULID = "fal-ai/flux-pulid"


def _start(capture, character, user, **recipe):
    with capture(execute=True):
        job = packs.pack_start(character=character, user=user, recipe=PackRecipe(**recipe))
    calls = [ProviderCall.objects.get(pk=i.call_id) for i in job.images.order_by("position")]
    return job, calls


def _poll(call, capture):
    with capture(execute=True):
        gateway.call_poll(call.pk)
    call.refresh_from_db()
    return call


def test_hd_images_through_the_fal_queue_with_the_lora_sent_and_results_copied(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fal_emulator.behave(LORA, queue_positions=(2,))
    fund(100)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=1, seed=5)

    sent = fal_emulator.last
    assert sent.endpoint_id == LORA
    assert sent.arguments["prompt"].startswith(hd_character.trigger_word + ", ")
    assert sent.arguments["seed"] == 5
    assert sent.arguments["num_inference_steps"] == 20
    assert sent.arguments["image_size"] == {"width": 768, "height": 1360}
    assert sent.arguments["enable_safety_checker"] is True
    # Our LoRA file, from our storage, fetched from a signed URL.
    assert provider_fetch(sent.arguments["loras"][0]["path"]) == storage.storage().open(hd_character.lora_key).read()

    call = calls[0]
    assert _poll(call, django_capture_on_commit_callbacks).queue_position == 2
    assert _poll(call, django_capture_on_commit_callbacks).status == "running"
    assert GenerationImage.objects.get(job=job).status == "running"
    assert _poll(call, django_capture_on_commit_callbacks).status == "succeeded"

    image = GenerationImage.objects.select_related("asset").get(job=job)
    assert image.status == "succeeded"
    assert image.asset.metadata["recipe"]["model"] == "image_lora"
    assert image.asset.metadata["recipe"]["endpoint"] == LORA
    assert image.asset.metadata["recipe"]["provider"] == "fal"
    assert credits_available(org) == 96
    assert ledger_problems(org) == []


def test_face_swap_images_send_the_base_image_to_pulid_and_finish_by_webhook(
    settings, client, fal_emulator, swap_character, people, org, fund, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    fund(100)
    job, calls = _start(django_capture_on_commit_callbacks, swap_character, people.member, count=1)

    sent = fal_emulator.last
    assert sent.endpoint_id == PULID
    assert sent.arguments["reference_image_url"].startswith("https://app.example.com/media/p/")
    assert sent.arguments["negative_prompt"]
    assert sent.webhook_url == f"https://app.example.com/webhooks/fal/{calls[0].webhook_token}/"

    body, headers = fal_emulator.completion_webhook(calls[0].request_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("providers:webhook", args=["fal", calls[0].webhook_token]),
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert credits_available(org) == 96


def test_a_result_the_safety_checker_held_back_is_not_saved_and_not_charged(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    image_url = fal_emulator.add_file("out/held.png")
    fal_emulator.behave(
        LORA,
        result={
            "images": [{"url": image_url, "width": 64, "height": 48}],
            "seed": 1,
            "has_nsfw_concepts": [True],
            "prompt": "x",
        },
    )
    fund(100)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=1)
    fal_emulator.complete(calls[0].request_id)
    _poll(calls[0], django_capture_on_commit_callbacks)
    image = GenerationImage.objects.get(job=job)
    assert image.status == "failed"
    assert "safety checker held this image back" in image.error
    assert credits_available(org) == 100


def test_an_expired_output_link_fails_the_image_with_credits_back(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    image_url = fal_emulator.add_file("out/gone.png")
    fal_emulator.expire_file(image_url)
    fal_emulator.behave(
        LORA, result={"images": [{"url": image_url}], "seed": 1, "has_nsfw_concepts": [False], "prompt": "x"}
    )
    fund(100)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=1)
    fal_emulator.complete(calls[0].request_id)
    _poll(calls[0], django_capture_on_commit_callbacks)
    assert GenerationImage.objects.get(job=job).status == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert credits_available(org) == 100


def test_a_provider_error_on_two_of_five_refunds_those_two(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(100)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=5)
    for n, call in enumerate(calls):
        if n in (1, 3):
            fal_emulator.request(call.request_id).behaviour.error = "CUDA out of memory"
        fal_emulator.complete(call.request_id)
        _poll(call, django_capture_on_commit_callbacks)
    statuses = list(GenerationImage.objects.filter(job=job).order_by("position").values_list("status", flat=True))
    assert statuses == ["succeeded", "failed", "succeeded", "failed", "succeeded"]
    assert "CUDA out of memory" in GenerationImage.objects.get(job=job, position=1).error
    assert credits_available(org) == 100 - 12
    assert ledger_problems(org) == []


def test_write_prompts_through_xai(xai_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks):
    fund(10)
    xai_emulator.reply("```json\n" + json.dumps([f"rooftop at dusk, take {n}" for n in range(5)]) + "\n```")
    with django_capture_on_commit_callbacks(execute=True):
        draft = drafts.draft_start(
            character=hd_character, user=people.member, recipe=PackRecipe(scene="night_out", count=5)
        )
    draft.refresh_from_db()
    assert draft.status == "succeeded"
    assert draft.prompts == [f"rooftop at dusk, take {n}" for n in range(5)]
    request = xai_emulator.requests[-1]
    assert "Write 5 different prompts" in request["messages"][1]["content"]
    assert "safe for work" in request["messages"][1]["content"]
    assert credits_available(org) == 9


def test_written_prompts_that_name_a_minor_are_refused_and_the_credit_returned(
    xai_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(10)
    xai_emulator.reply('["a teenage girl at the beach"]')
    with django_capture_on_commit_callbacks(execute=True):
        draft = drafts.draft_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1))
    draft.refresh_from_db()
    assert draft.status == "failed"
    assert "Prompts can't mention children" in draft.error
    assert credits_available(org) == 10


def test_an_xai_outage_fails_the_draft_with_the_credit_back(
    xai_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(10)
    xai_emulator.fail(status=400, json={"code": "Client specified an invalid argument", "error": "bad model"})
    with django_capture_on_commit_callbacks(execute=True):
        draft = drafts.draft_start(character=hd_character, user=people.member, recipe=PackRecipe(count=5))
    draft = PromptDraft.objects.get(pk=draft.pk)
    assert draft.status == "failed"
    assert draft.error
    assert credits_available(org) == 10
