"""The choke point's reading of provider requests, and the xAI moderator providers registers."""

import pytest

from providers import moderation
from providers.models import ProviderCall
from safety import screen
from safety.requests import request_is_adult, request_screen, request_texts
from safety.screen import ModerationUnavailable


def test_it_reads_prompts_and_user_messages_but_not_urls_system_messages_or_negative_prompts():
    arguments = {
        "prompt": "a woman on a pier",
        "negative_prompt": "child, teen, minor",
        "image_url": "https://v3.fal.media/files/x.jpg",
        "loras": [{"path": "https://example.test/style.safetensors", "scale": 0.8}],
        "reference": {"$asset": "abc", "variant": "preview"},
        "messages": [
            {"role": "system", "content": "Never describe children."},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,AAAA"}},
                    {"type": "text", "text": "Describe this photo."},
                ],
            },
        ],
        "trigger": "Z" * 64,
    }
    assert list(request_texts(arguments)) == ["a woman on a pier", "Describe this photo."]
    assert request_is_adult({"enable_safety_checker": False})
    assert not request_is_adult({"enable_safety_checker": True})
    assert not request_is_adult({})


@pytest.mark.django_db
def test_a_request_naming_a_minor_is_refused_and_recorded(org, people):
    from safety.models import SafetyEvent

    why = request_screen(
        {"prompt": "prsn7k2x, a thirteen year old on a bed"}, org=org, user=people.member, where="provider:image_lora"
    )
    assert why.startswith("Prompts can't mention children or anyone under 18: “thirteen year old”")
    event = SafetyEvent.objects.get()
    assert (event.where, event.user, event.rule) == ("provider:image_lora", people.member, "age")
    assert request_screen({"prompt": "a woman on a pier"}, org=org, user=None, where="provider:x") == ""


@pytest.fixture
def xai_moderator(xai_emulator, monkeypatch):
    monkeypatch.setattr(screen, "_moderator", screen._Moderator(moderation.moderate, moderation.available))
    return xai_emulator


@pytest.mark.django_db
def test_the_xai_moderator_answers_and_its_call_is_recorded(xai_moderator, org):
    xai_moderator.reply('{"minor": true, "reason": "describes a schoolchild"}')
    answer = moderation.moderate("a girl with a school bag", nsfw=True, org_id=org.pk)
    assert (answer.minor, answer.reason) == (True, "describes a schoolchild")
    call = ProviderCall.objects.get()
    assert (call.operation, call.provider, call.status, call.org) == ("moderation", "xai", "succeeded", org)
    sent = xai_moderator.requests[0]
    assert sent["messages"][0]["role"] == "system"
    assert "adult (NSFW) content" in sent["messages"][1]["content"]


@pytest.mark.django_db
def test_the_gateway_screen_asks_the_moderator_about_uncertain_adult_content(xai_moderator, org, people):
    xai_moderator.reply('{"minor": true, "reason": "childlike description"}')
    why = request_screen(
        {"prompt": "a nude girl on a bed", "enable_safety_checker": False}, org=org, user=people.member, where="p"
    )
    assert "the safety check read it as describing someone under 18 (childlike description)" in why
    xai_moderator.reply('{"minor": false, "reason": "an adult woman"}')
    assert (
        request_screen({"prompt": "a nude girl, 30", "enable_safety_checker": False}, org=org, user=None, where="p")
        == ""
    )


@pytest.mark.django_db
@pytest.mark.parametrize("reply", ["I can't help with that.", '{"minor": "maybe"}'])
def test_an_unreadable_answer_is_no_answer(xai_moderator, org, reply):
    xai_moderator.reply(reply)
    with pytest.raises(ModerationUnavailable):
        moderation.moderate("a girl", nsfw=True, org_id=org.pk)
    assert ProviderCall.objects.get().status == "failed"


@pytest.mark.django_db
def test_a_provider_error_fails_closed_for_adult_content(xai_moderator, org):
    xai_moderator.fail(status=503, times=None)
    why = request_screen(
        {"prompt": "a nude girl on a bed", "enable_safety_checker": False}, org=org, user=None, where="p"
    )
    assert "describe the person as a woman or a man" in why
    assert request_screen({"prompt": "a woman outside a high school"}, org=org, user=None, where="p") == ""


def test_without_an_xai_key_there_is_no_moderator(settings):
    settings.XAI_API_KEY = ""
    assert not moderation.available()
    with pytest.raises(ModerationUnavailable):
        moderation.moderate("a girl", nsfw=True)
