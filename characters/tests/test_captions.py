"""Dataset captions from the vision model (xAI, emulated behind the real HTTP client), keeping the
trigger word; captions edited by hand; the demo provider's labelled placeholder caption."""

import pytest

from assets.tests.factories import AssetFactory
from billing.services import credits_available
from characters import captions
from characters.models import Character, CharacterJob, DatasetImage
from core.exceptions import DomainError
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db


@pytest.fixture
def character(org, people):
    character = Character.objects.create(
        org=org, name="Ava Stone", origin=Character.Origin.PHOTOS, trigger_word="prsnab23"
    )
    for n, bucket in enumerate(["closeup", "half", "full"]):
        asset = AssetFactory(org=org, filename=f"ava-{n}.jpg", size=(200, 150))
        DatasetImage.objects.create(org=org, character=character, asset=asset, bucket=bucket, position=n)
    return character


def _images(character):
    return list(DatasetImage.objects.filter(character=character).order_by("bucket", "position", "id"))


def _start(capture, character, user):
    with capture(execute=True):
        job = captions.captions_start(character=character, user=user)
    job.refresh_from_db()
    return job


def test_the_vision_model_captions_each_photo_and_the_trigger_word_is_kept(
    xai_emulator, character, people, org, django_capture_on_commit_callbacks
):
    xai_emulator.reply("A woman smiling by a bright window, soft morning light.")
    xai_emulator.reply('"prsnab23 in a red coat on a bridge, overcast daylight."')
    xai_emulator.reply("PRSNAB23 standing in a park, full body, golden hour.")
    job = _start(django_capture_on_commit_callbacks, character, people.member)
    assert job.kind == "captions"
    assert job.status == "succeeded"
    assert job.credits == 0  # included in the training price
    assert job.hold is None
    assert [i.caption for i in _images(character)] == [
        "prsnab23 A woman smiling by a bright window, soft morning light.",
        "prsnab23 in a red coat on a bridge, overcast daylight.",
        "PRSNAB23 standing in a park, full body, golden hour.",
    ]
    sent = xai_emulator.requests[0]
    image_part, text_part = sent["messages"][0]["content"]
    assert image_part["image_url"]["url"].startswith("data:image/jpeg;base64,")  # the 1024 px preview, inline
    assert "Start with the exact word prsnab23" in text_part["text"]
    assert sent["max_tokens"] == 120
    assert credits_available(org) == 0


def test_a_refused_image_fails_only_its_caption(xai_emulator, character, people, django_capture_on_commit_callbacks):
    xai_emulator.fail(status=400, json={"code": "Client specified an invalid argument", "error": "Image too large"})
    xai_emulator.reply("prsnab23 sitting on steps.")
    xai_emulator.reply("prsnab23 walking a dog.")
    job = _start(django_capture_on_commit_callbacks, character, people.member)
    assert job.status == "succeeded"
    first, *rest = job.items.order_by("position")
    assert first.status == "failed"
    assert "Image too large" in first.error
    assert [i.status for i in rest] == ["succeeded", "succeeded"]
    assert [i.caption for i in _images(character)] == ["", "prsnab23 sitting on steps.", "prsnab23 walking a dog."]


def test_when_every_caption_fails_the_job_says_why(xai_emulator, character, people, django_capture_on_commit_callbacks):
    xai_emulator.fail(status=401, times=None)
    job = _start(django_capture_on_commit_callbacks, character, people.member)
    assert job.status == "failed"
    assert job.error.startswith("None of the 3 came back.")
    assert "credentials" in job.error
    assert all(i.caption == "" for i in _images(character))


def test_an_empty_answer_is_not_a_caption(xai_emulator, character, people, django_capture_on_commit_callbacks):
    xai_emulator.reply("  ")
    job = _start(django_capture_on_commit_callbacks, character, people.member)
    first = job.items.order_by("position").first()
    assert first.status == "failed"
    assert first.error == "The vision model sent back an empty caption."


def test_the_demo_provider_answers_a_labelled_placeholder(character, people, django_capture_on_commit_callbacks):
    job = _start(django_capture_on_commit_callbacks, character, people.member)
    assert job.status == "succeeded"
    assert ProviderCall.objects.filter(operation="chat", provider="demo").count() == 3
    assert {i.caption for i in _images(character)} == {
        "prsnab23 person, photo (demo caption — no vision model configured)"
    }


def test_one_captions_job_at_a_time_and_only_with_photos(org, character, people):
    captions.captions_start(character=character, user=people.member)
    with pytest.raises(DomainError, match="already being written"):
        captions.captions_start(character=character, user=people.member)
    assert CharacterJob.objects.filter(kind="captions").count() == 1
    empty = Character.objects.create(org=org, name="Empty", origin=Character.Origin.PHOTOS)
    with pytest.raises(DomainError, match="Add photos"):
        captions.captions_start(character=empty, user=people.member)


def test_a_caption_edited_by_hand_keeps_the_trigger_word(character):
    image = _images(character)[0]
    captions.caption_set(image=image, text="  woman   in a blue dress\non a beach ")
    assert DatasetImage.objects.get(pk=image.pk).caption == "prsnab23 woman in a blue dress on a beach"
    captions.caption_set(image=image, text="Close-up of prsnab23, laughing")
    assert DatasetImage.objects.get(pk=image.pk).caption == "Close-up of prsnab23, laughing"
    captions.caption_set(image=image, text="prsnab234 is another word")  # not the trigger word itself
    assert DatasetImage.objects.get(pk=image.pk).caption == "prsnab23 prsnab234 is another word"
    captions.caption_set(image=image, text="   ")
    assert DatasetImage.objects.get(pk=image.pk).caption == ""


def test_a_caption_over_1000_characters_is_refused_and_the_old_one_kept(character):
    image = _images(character)[0]
    captions.caption_set(image=image, text="prsnab23 by the sea")
    with pytest.raises(DomainError, match="1,000 characters") as exc:
        captions.caption_set(image=image, text="word " * 199)  # 995 characters + the trigger word
    assert exc.value.field == "caption"
    assert DatasetImage.objects.get(pk=image.pk).caption == "prsnab23 by the sea"
