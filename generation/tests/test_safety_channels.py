"""The minors screen on every way a pack's words arrive: the Studio form, the JSON API, the
character's notes at prompt time, and — for whatever skipped those — the gateway's choke point,
which fails the call before it is sent and returns the credits."""

import pytest
from django.urls import reverse

from billing.services import credits_available
from core.tests.pages import text_of
from generation import packs
from generation.models import GenerationImage, GenerationJob
from generation.packs import PackRecipe
from providers import gateway
from providers.models import ProviderCall
from safety.models import SafetyEvent
from safety.screen import MinorsRefused
from safety.tests.evasions import EVASIONS, LOOKALIKES

pytestmark = pytest.mark.django_db

CASES = list(EVASIONS.items())
IDS = list(EVASIONS)
FORM = {
    "scene": "night_out",
    "environment": "urban_street",
    "outfit": "",
    "aspect_ratio": "9:16",
    "quality": "draft",
    "count": "1",
    "seed": "",
    "prompt_text": "",
}


@pytest.mark.parametrize(("kind", "words"), CASES, ids=IDS)
def test_the_studio_refuses_each_evasion_on_the_prompt_field(client, people, org, hd_character, fund, kind, words):
    fund(100)
    client.force_login(people.member)
    url = reverse("generation:studio", args=[org.slug, hd_character.public_id])
    response = client.post(url, {**FORM, "prompt_text": words})
    assert response.status_code == 400
    assert "Prompts can't mention children or anyone under 18" in text_of(response)
    assert not GenerationJob.objects.exists()
    assert credits_available(org) == 100
    assert SafetyEvent.objects.get().field == "prompt_text"


@pytest.mark.parametrize(("kind", "words"), CASES, ids=IDS)
def test_the_api_refuses_each_evasion_with_400_and_the_field(
    client, people, org, hd_character, fund, api_key, kind, words
):
    fund(100)
    key = api_key(people.member)
    for body in ({"prompt": words}, {"prompts": ["a woman on a pier", words]}):
        response = client.post(
            "/api/v1/generations/",
            {"character": str(hd_character.public_id), "count": 1, **body},
            content_type="application/json",
            headers=key,
        )
        assert response.status_code == 400
        detail = response.json()
        assert detail["field"] == "prompt_text"
        assert detail["detail"].startswith("Prompts can't mention children or anyone under 18: “")
    assert not GenerationJob.objects.exists()
    assert SafetyEvent.objects.filter(where="api").count() == 2


@pytest.mark.parametrize("words", LOOKALIKES)
def test_harmless_lookalikes_make_a_pack(people, org, hd_character, fund, words):
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1, prompt_text=words))
    assert job.images.count() == 1
    assert not SafetyEvent.objects.exists()


def test_notes_that_name_a_minor_stop_every_pack_of_the_character(people, org, hd_character, fund):
    """Notes go into every prompt: notes saved before the screen existed are caught at prompt time."""
    fund(100)
    type(hd_character).objects.filter(pk=hd_character.pk).update(notes="a fourteen year old, freckles")
    hd_character.refresh_from_db()
    with pytest.raises(MinorsRefused) as refused:
        packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1))
    message = refused.value.message
    assert message.startswith("Nova Reyes's notes can't mention children or anyone under 18: “fourteen year old”")
    assert message.endswith("Edit the notes on the character's page.")
    assert not GenerationJob.objects.exists()
    assert credits_available(org) == 100


def test_the_gateway_fails_a_request_naming_a_minor_before_sending_it(
    people, org, hd_character, fund, django_capture_on_commit_callbacks, fal_emulator
):
    """A channel that skipped the screen (here: a prompt changed after it was checked) is caught
    where the request is sent; the image fails with the reason and its credits come back."""
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1))
    image = GenerationImage.objects.get(job=job)
    call = ProviderCall.objects.get(pk=image.call_id)
    call.input = {**call.input, "prompt": f"{call.input['prompt']}, a thirteen year old in the bath"}
    call.save(update_fields=["input"])
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_submit(call.pk)
    call.refresh_from_db()
    assert call.status == "failed"
    assert call.sent_at is None
    assert fal_emulator.requests == []  # nothing went out
    assert call.error.startswith("Prompts can't mention children or anyone under 18: “thirteen year old”")
    image.refresh_from_db()
    assert image.status == "failed"
    assert "can't mention children" in image.error
    assert credits_available(org) == 100
    event = SafetyEvent.objects.get()
    assert (event.where, event.user, event.org, event.reference) == (
        "provider:image_lora",
        people.member,
        org,
        f"call {call.pk}",
    )
