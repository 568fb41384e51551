"""The Z-Image face model, trained from the same zip as the FLUX one (through the real fal_client
against the emulated queue): the run succeeds on FLUX alone, drafts switch to Z-Image once its
LoRA is stored whichever trainer finishes first, a failed Z-Image training leaves FLUX drafts and
says why, the zip stays until both trainers are done, cancel stops both, and retraining never
pairs a new FLUX LoRA with an old Z-Image one."""

import io
import json
import struct
import zipfile

import pytest

from assets import storage
from characters import training, zimage
from characters.models import Character, TrainingRun
from providers import gateway
from providers.models import ProviderCall
from tests.provider_fixtures import provider_fetch

pytestmark = pytest.mark.django_db

FLUX = "fal-ai/flux-lora-fast-training"
ZIMAGE = "fal-ai/z-image-trainer"


def lora_file(fal_emulator, name: str) -> dict:
    header = json.dumps({"__metadata__": {"base": name}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})
    content = struct.pack("<Q", len(header)) + header.encode() + struct.pack("<f", 0.5)
    url = fal_emulator.add_file(f"{name}/pytorch_lora_weights.safetensors", content, "application/octet-stream")
    return {"diffusers_lora_file": {"url": url, "file_name": "pytorch_lora_weights.safetensors"}}


@pytest.fixture
def start(trainable, people, fund, fal_emulator, django_capture_on_commit_callbacks):
    """Start training; returns (run, FLUX call, Z-Image call)."""

    def go(key="k", zimage_error=None):
        fal_emulator.behave(FLUX, result=lora_file(fal_emulator, f"flux-{key}"))
        fal_emulator.behave(ZIMAGE, result=lora_file(fal_emulator, f"zimage-{key}"), error=zimage_error)
        fund(training.training_price(trainable))
        with django_capture_on_commit_callbacks(execute=True):
            run = training.training_start(character=trainable, user=people.member, key=key)
        run.refresh_from_db()
        return run, ProviderCall.objects.get(pk=run.call_id), ProviderCall.objects.get(pk=run.zimage_call_id)

    return go


def finish(fal_emulator, call, capture):
    fal_emulator.complete(call.request_id)
    with capture(execute=True):
        gateway.call_poll(call.pk)
    assert ProviderCall.objects.get(pk=call.pk).status in ("succeeded", "failed")


def stored(key: str) -> bytes:
    with storage.storage().open(key, "rb") as fh:
        return fh.read()


def test_both_trainers_read_the_same_zip_and_drafts_switch_to_z_image_when_its_lora_is_stored(
    start, fal_emulator, trainable, org, django_capture_on_commit_callbacks
):
    run, flux, zimage_call = start()
    assert (zimage_call.operation, zimage_call.provider) == ("train_lora_zimage", "fal")
    flux_sent = next(r for r in fal_emulator.requests if r.endpoint_id == FLUX).arguments
    zimage_sent = next(r for r in fal_emulator.requests if r.endpoint_id == ZIMAGE).arguments
    zipped = provider_fetch(zimage_sent["image_data_url"])
    assert zipped == provider_fetch(flux_sent["images_data_url"])  # the same zip
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    assert len(archive.namelist()) == 20
    assert {k: v for k, v in zimage_sent.items() if k != "image_data_url"} == {
        "steps": 1000,
        "default_caption": f"{trainable.trigger_word} person",
        "training_type": "content",
    }

    finish(fal_emulator, flux, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    character = Character.objects.get(pk=trainable.pk)
    assert run.status == "succeeded"  # it doesn't wait for the Z-Image LoRA
    assert (character.mode, character.zimage_lora_key) == ("hd", "")
    assert zimage.drafts_for(character) == zimage.Drafts("flux", "training")
    assert run.zip_key == storage.training_zip_key(org, run)
    assert storage.storage().exists(run.zip_key)  # the Z-Image trainer may still read it

    finish(fal_emulator, zimage_call, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    character.refresh_from_db()
    assert character.zimage_lora_key == run.zimage_lora_key
    assert character.zimage_lora_key.startswith(f"orgs/{org.public_id}/loras/{character.public_id}.zimage-")
    assert b'"base":"zimage-k"' in stored(character.zimage_lora_key).replace(b" ", b"")
    assert b'"base":"flux-k"' in stored(character.lora_key).replace(b" ", b"")
    assert zimage.drafts_for(character) == zimage.Drafts("zimage")
    assert run.zip_key == ""
    assert not storage.storage().exists(storage.training_zip_key(org, run))


def test_a_z_image_lora_that_comes_first_waits_for_the_flux_one(
    start, fal_emulator, trainable, org, django_capture_on_commit_callbacks
):
    run, flux, zimage_call = start()
    finish(fal_emulator, zimage_call, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status in ("queued", "running")
    assert run.zimage_lora_key
    assert Character.objects.get(pk=trainable.pk).zimage_lora_key == ""
    assert run.zip_key == storage.training_zip_key(org, run)
    assert storage.storage().exists(run.zip_key)  # the FLUX trainer may still read it

    finish(fal_emulator, flux, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert Character.objects.get(pk=trainable.pk).zimage_lora_key == run.zimage_lora_key
    assert not storage.storage().exists(storage.training_zip_key(org, run))


def test_a_failed_z_image_training_leaves_flux_drafts_and_says_why(
    start, fal_emulator, trainable, org, django_capture_on_commit_callbacks
):
    run, flux, zimage_call = start(zimage_error="Training crashed: out of memory")
    finish(fal_emulator, zimage_call, django_capture_on_commit_callbacks)
    finish(fal_emulator, flux, django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.credits == training.training_price(trainable)  # charged in full: HD mode works
    assert "out of memory" in run.zimage_error
    character = Character.objects.get(pk=trainable.pk)
    assert (character.mode, character.zimage_lora_key) == ("hd", "")
    drafts = zimage.drafts_for(character)
    assert (drafts.model, drafts.reason) == ("flux", "failed")
    assert "out of memory" in drafts.error
    assert not storage.storage().exists(storage.training_zip_key(org, run))


def test_cancel_stops_both_trainers_and_deletes_the_zip(
    start, fal_emulator, trainable, org, people, django_capture_on_commit_callbacks
):
    run, flux, zimage_call = start()
    with django_capture_on_commit_callbacks(execute=True):
        training.training_cancel(run=run, user=people.member)
    assert {c.status for c in ProviderCall.objects.filter(pk__in=[flux.pk, zimage_call.pk])} == {"cancelled"}
    assert all(r.cancelled for r in fal_emulator.requests if r.endpoint_id in (FLUX, ZIMAGE))
    run.refresh_from_db()
    assert run.zip_key == ""
    assert not storage.storage().exists(storage.training_zip_key(org, run))
    assert Character.objects.get(pk=trainable.pk).zimage_lora_key == ""


def test_retraining_keeps_flux_drafts_until_the_new_z_image_lora_is_ready(
    start, fal_emulator, trainable, django_capture_on_commit_callbacks
):
    _first, flux, zimage_call = start(key="first")
    finish(fal_emulator, flux, django_capture_on_commit_callbacks)
    finish(fal_emulator, zimage_call, django_capture_on_commit_callbacks)
    old = Character.objects.get(pk=trainable.pk).zimage_lora_key
    assert old

    second, flux, zimage_call = start(key="second")
    finish(fal_emulator, flux, django_capture_on_commit_callbacks)
    character = Character.objects.get(pk=trainable.pk)
    assert character.zimage_lora_key == ""  # the old one was trained on other photos
    assert not storage.storage().exists(old)
    finish(fal_emulator, zimage_call, django_capture_on_commit_callbacks)
    character.refresh_from_db()
    assert character.zimage_lora_key == TrainingRun.objects.get(pk=second.pk).zimage_lora_key != old
