"""LoRA training against the emulated fal queue protocol, through the real fal_client: queue
positions, progress, the LoRA copied into our storage, webhooks reporting failure, a LoRA link
that 404s, a file that isn't a LoRA, cancel, and deleting the character while it trains."""

import io
import json
import struct
import zipfile

import pytest
from django.urls import reverse
from PIL import Image

from assets import storage
from assets.models import Asset
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from characters import deletion, training
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from notifications.models import Notification
from providers import gateway
from providers.adapters.base import Status
from providers.models import ProviderCall
from tests.provider_fixtures import provider_fetch

pytestmark = pytest.mark.django_db

TRAIN = "fal-ai/flux-lora-fast-training"


def safetensors_bytes() -> bytes:
    """A small real safetensors file: an 8-byte little-endian header length, the JSON header, the data."""
    header = json.dumps(
        {
            "__metadata__": {"format": "pt"},
            "transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight": {
                "dtype": "F32",
                "shape": [2, 2],
                "data_offsets": [0, 16],
            },
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + struct.pack("<4f", 0.1, 0.2, 0.3, 0.4)


def lora_result(fal_emulator, content: bytes | None = None) -> dict:
    content = safetensors_bytes() if content is None else content
    url = fal_emulator.add_file("lora/pytorch_lora_weights.safetensors", content, "application/octet-stream")
    config = fal_emulator.add_file("lora/config.json", b'{"steps": 1000}', "application/json")
    return {
        "diffusers_lora_file": {
            "url": url,
            "content_type": "application/octet-stream",
            "file_name": "pytorch_lora_weights.safetensors",
            "file_size": len(content),
        },
        "config_file": {"url": config, "content_type": "application/json", "file_name": "config.json"},
    }


@pytest.fixture
def start(trainable, people, fund, fal_emulator, django_capture_on_commit_callbacks):
    """Start training (the zip is built and submitted to fal); returns (run, call)."""

    def go(captions=False, **behaviour):
        if "result" not in behaviour:
            behaviour["result"] = lora_result(fal_emulator)
        fal_emulator.behave(TRAIN, **behaviour)
        fund(300)
        with django_capture_on_commit_callbacks(execute=True):
            run = training.training_start(character=trainable, user=people.member, key="k", captions=captions)
        run.refresh_from_db()
        return run, ProviderCall.objects.get(pk=run.call_id)

    return go


def _poll(call, capture):
    with capture(execute=True):
        gateway.call_poll(call.pk)
    call.refresh_from_db()
    return call


def _train_request(fal_emulator):
    return next(r for r in fal_emulator.requests if r.endpoint_id == TRAIN)


def test_queue_progress_and_the_lora_copied_to_our_storage(
    start, fal_emulator, trainable, org, people, django_capture_on_commit_callbacks, mailoutbox
):
    run, call = start(queue_positions=(4, 1))
    assert (call.provider, call.status) == ("fal", "queued")
    sent = _train_request(fal_emulator)
    assert sent.arguments["trigger_word"] == trainable.trigger_word
    assert sent.arguments["steps"] == 1000
    assert sent.arguments["create_masks"] is True
    # fal fetches the zip from a signed URL. Images are named by position and bucket.
    archive = zipfile.ZipFile(io.BytesIO(provider_fetch(sent.arguments["images_data_url"])))
    names = archive.namelist()
    assert names[:2] == ["01_closeup.jpg", "02_closeup.jpg"]
    assert names[8] == "09_half.jpg"
    assert names[-1] == "20_variety.jpg"
    assert len(names) == 20  # no captions asked for
    with Image.open(io.BytesIO(archive.read("01_closeup.jpg"))) as im:
        assert im.format == "JPEG"
        assert max(im.size) <= 2048

    assert _poll(call, django_capture_on_commit_callbacks).queue_position == 4
    assert _poll(call, django_capture_on_commit_callbacks).queue_position == 1
    assert TrainingRun.objects.get(pk=run.pk).status == "queued"
    assert _poll(call, django_capture_on_commit_callbacks).status == "running"
    run.refresh_from_db()
    assert run.status == "running"
    assert run.started_at
    assert Character.objects.get(pk=trainable.pk).lora_status == "training"
    assert _poll(call, django_capture_on_commit_callbacks).status == "succeeded"

    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    character = Character.objects.get(pk=trainable.pk)
    assert character.mode == "hd"
    assert run.lora_key == character.lora_key == storage.lora_key(org, character)
    with storage.storage().open(character.lora_key, "rb") as fh:
        assert fh.read() == safetensors_bytes()  # our copy, not the provider's URL
    assert character.lora_asset.title == "Ava Stone — face model (LoRA)"
    assert character.lora_asset.metadata["lora"]["model"] == TRAIN
    assert credits_available(org) == 0
    assert Hold.objects.get(pk=run.hold_id).captured_amount == 300
    assert ledger_problems(org) == []
    assert Notification.objects.get(user=people.member).title == "HD mode unlocked for Ava Stone"
    # The HD email, and the low-credit one: training took the last 300 of 300 credits.
    assert sorted(m.subject for m in mailoutbox)[0].startswith("HD mode")
    assert len(mailoutbox) == 2
    assert any("credit" in m.subject.lower() for m in mailoutbox)

    # Four reference images with the LoRA (fetched from us too), copied into the library.
    references = CharacterJob.objects.get(character=character, kind="references")
    calls = [ProviderCall.objects.get(pk=i.call_id) for i in references.items.all()]
    assert [c.endpoint_id for c in calls] == ["fal-ai/flux-lora"] * 4
    lora_request = next(r for r in fal_emulator.requests if r.endpoint_id == "fal-ai/flux-lora")
    assert provider_fetch(lora_request.arguments["loras"][0]["path"]) == safetensors_bytes()
    assert lora_request.arguments["prompt"].startswith(character.trigger_word)
    for ref in calls:
        fal_emulator.complete(ref.request_id)
        _poll(ref, django_capture_on_commit_callbacks)
    references.refresh_from_db()
    assert references.status == "succeeded"
    assert Asset.objects.filter(pk__in=references.items.values("asset")).count() == 4
    assert credits_available(org) == 0  # included in the training price


def test_captions_go_into_the_zip_with_the_trigger_word(start, fal_emulator, trainable):
    images = list(DatasetImage.objects.filter(character=trainable).order_by("bucket", "position"))
    DatasetImage.objects.filter(pk=images[0].pk).update(caption=f"{trainable.trigger_word} smiling at a window")
    DatasetImage.objects.filter(pk=images[1].pk).update(caption="woman in a red coat on a bridge")
    start(captions=True)
    archive = zipfile.ZipFile(io.BytesIO(provider_fetch(_train_request(fal_emulator).arguments["images_data_url"])))
    texts = {n: archive.read(n).decode() for n in archive.namelist() if n.endswith(".txt")}
    assert texts == {
        "01_closeup.txt": f"{trainable.trigger_word} smiling at a window",
        "02_closeup.txt": f"{trainable.trigger_word} woman in a red coat on a bridge",
    }
    assert TrainingRun.objects.get().captioned is True


def test_a_webhook_reporting_failure_fails_the_run_and_returns_the_credits(
    settings, start, fal_emulator, client, trainable, org, people, django_capture_on_commit_callbacks, mailoutbox
):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    run, call = start(error="Training crashed: CUDA out of memory", error_type="runtime_error")
    # With a public URL the trainer fetches the zip from a signed link, and calls us back.
    assert _train_request(fal_emulator).arguments["images_data_url"].startswith("https://app.example.com/media/p/")
    assert _train_request(fal_emulator).webhook_url
    body, headers = fal_emulator.completion_webhook(call.request_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("providers:webhook", args=["fal", call.webhook_token]),
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == "failed"
    assert "CUDA out of memory" in run.error
    character = Character.objects.get(pk=trainable.pk)
    assert character.lora_status == "failed"
    assert character.mode == "face_swap"  # the checked photos still give face-swap mode; HD never came
    assert not storage.storage().exists(storage.lora_key(org, character))
    assert credits_available(org) == 300
    assert Hold.objects.get(pk=run.hold_id).status == "released"
    assert ledger_problems(org) == []
    note = Notification.objects.get(user=people.member)
    assert note.title == "Training failed for Ava Stone"
    assert "CUDA out of memory" in note.body
    assert "300 credits held for it are available again" in note.body
    # The hold took the last credits (the low-credit email), then the failure gave them back.
    assert sorted(m.subject for m in mailoutbox) == [
        "Northstar Talent is low on credits: 0 left",
        "Training failed for Ava Stone",
    ]


def test_a_lora_link_that_404s_fails_the_run_and_returns_the_credits(
    start, fal_emulator, trainable, org, django_capture_on_commit_callbacks
):
    result = lora_result(fal_emulator)
    fal_emulator.expire_file(result["diffusers_lora_file"]["url"], 404)
    run, call = start(result=result)
    fal_emulator.complete(call.request_id)
    _poll(call, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "expired before we could copy it" in run.error
    assert Character.objects.get(pk=trainable.pk).lora_key == ""
    assert not Asset.objects.filter(kind="file").exists()
    assert credits_available(org) == 300
    assert ledger_problems(org) == []


def test_a_file_that_isnt_a_lora_is_refused(start, fal_emulator, trainable, org, django_capture_on_commit_callbacks):
    run, call = start(result=lora_result(fal_emulator, b"<html><body>Service unavailable</body></html>"))
    fal_emulator.complete(call.request_id)
    _poll(call, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "isn't a face model" in run.error
    assert not storage.storage().exists(storage.lora_key(org, trainable))
    assert credits_available(org) == 300


def test_cancel_stops_the_trainer_returns_the_credits_and_a_late_webhook_changes_nothing(
    settings, start, fal_emulator, client, trainable, org, people, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    run, call = start()
    with django_capture_on_commit_callbacks(execute=True):
        training.training_cancel(run=run, user=people.member)
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert _train_request(fal_emulator).cancelled  # asked fal to stop
    assert ProviderCall.objects.get(pk=call.pk).status == "cancelled"
    assert credits_available(org) == 300
    assert Character.objects.get(pk=trainable.pk).lora_status == "none"
    assert not Notification.objects.exists()  # they did it themselves

    fal_emulator.request(call.request_id).cancelled = False  # fal finished it anyway
    body, headers = fal_emulator.completion_webhook(call.request_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("providers:webhook", args=["fal", call.webhook_token]),
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert Character.objects.get(pk=trainable.pk).lora_key == ""
    assert credits_available(org) == 300
    assert ledger_problems(org) == []


def test_deleting_the_character_while_it_trains_cancels_and_a_late_webhook_charges_nothing(
    settings, start, fal_emulator, client, trainable, org, people, media_root, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    run, call = start(queue_positions=(2, 1))
    _poll(call, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # fal reports progress (as its poll or webhook would)
        gateway.call_apply_status(call.pk, Status("running"))
    assert TrainingRun.objects.get(pk=run.pk).status == "running"
    zip_key = TrainingRun.objects.get(pk=run.pk).zip_key
    assert storage.storage().exists(zip_key)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = deletion.character_delete(character=trainable, user=people.owner)
    assert deleted["photos"] == 20
    assert deleted["runs"] == 1
    assert not Character.objects.filter(pk=trainable.pk).exists()
    assert not TrainingRun.objects.exists()
    assert ProviderCall.objects.get(pk=call.pk).status == "cancelled"
    assert _train_request(fal_emulator).cancelled
    assert not storage.storage().exists(zip_key)
    assert credits_available(org) == 300
    released = Hold.objects.get(pk=run.hold_id)
    assert released.status == "released"

    fal_emulator.request(call.request_id).cancelled = False
    body, headers = fal_emulator.completion_webhook(call.request_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("providers:webhook", args=["fal", call.webhook_token]),
            data=body,
            content_type="application/json",
            headers=headers,
        )
    assert response.status_code == 200
    assert not Asset.objects.filter(kind="file").exists()
    assert not list((media_root / "orgs" / str(org.public_id)).glob("loras/*"))
    assert credits_available(org) == 300
    assert ledger_problems(org) == []
