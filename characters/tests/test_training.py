"""Training from photos on the demo provider: start → zip → train → LoRA in our storage and the
library → reference images → HD mode and a notification; and every refusal, with credits exact."""

import json
import struct

import pytest

from analytics.models import Event
from assets import storage
from assets.models import Asset
from billing.models import Hold, LedgerEntry
from billing.services import InsufficientCredits, credits_available, ledger_problems
from characters import lora_files, training
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from core.exceptions import DomainError
from notifications.models import Notification
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db


def _start(capture, **kwargs):
    with capture(execute=True):
        return training.training_start(**kwargs)


def test_it_trains_end_to_end_and_unlocks_hd_mode(
    trainable, people, org, fund, django_capture_on_commit_callbacks, mailoutbox
):
    fund(350)
    run = _start(django_capture_on_commit_callbacks, character=trainable, user=people.member, key="k1")
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert (run.source, run.images, run.steps, run.trigger_word) == ("photos", 20, 1000, trainable.trigger_word)
    assert run.started_at
    assert run.finished_at
    call = ProviderCall.objects.get(pk=run.call_id)
    assert (call.operation, call.provider, call.endpoint_id) == ("train_lora", "demo", "fal-ai/flux-lora-fast-training")
    assert call.input["images_data_url"] == {"$key": f"orgs/{org.public_id}/training/{run.public_id}.zip"}
    assert call.input["create_masks"] is True
    zimage_call = ProviderCall.objects.get(pk=run.zimage_call_id)  # the Z-Image LoRA for drafts, same zip
    assert (zimage_call.endpoint_id, zimage_call.status) == ("fal-ai/z-image-trainer", "succeeded")
    assert zimage_call.input["image_data_url"] == call.input["images_data_url"]
    assert run.zip_key == ""  # the zip of the person's photos is gone once both trainers ended
    assert not storage.storage().exists(f"orgs/{org.public_id}/training/{run.public_id}.zip")

    character = Character.objects.get(pk=trainable.pk)
    assert character.mode == "hd"
    assert character.lora_status == "ready"
    assert character.lora_ready_at
    assert character.lora_key == f"orgs/{org.public_id}/loras/{character.public_id}.safetensors"
    assert character.zimage_lora_key == run.zimage_lora_key
    assert storage.storage().exists(character.zimage_lora_key)
    with storage.storage().open(character.lora_key, "rb") as fh:
        data = fh.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    assert header["__metadata__"]["personae_demo"] == "true"  # the demo says what it is
    assert header["__metadata__"]["images"] == "20"  # it read the real zip
    lora = character.lora_asset
    assert (lora.kind, lora.original_key, lora.title) == (
        "file",
        character.lora_key,
        "Ava Stone — face model (LoRA) · demo placeholder",
    )
    assert lora.bytes == len(data)
    assert lora.metadata["lora"]["trigger_word"] == trainable.trigger_word
    # The identity reference: the mean face of the 20 photos.
    assert character.identity_source == "dataset"
    assert character.identity_images == 20

    references = CharacterJob.objects.get(character=character, kind="references")
    assert references.status == "succeeded"
    assert references.credits == 0
    assert references.hold is None
    items = list(references.items.all())
    assert len(items) == 4
    assert all(i.asset for i in items)
    ref_call = ProviderCall.objects.get(pk=items[0].call_id)
    assert ref_call.operation == "image_lora"
    assert ref_call.input["loras"] == [{"path": {"$key": character.lora_key}, "scale": 1}]
    assert ref_call.input["prompt"].startswith(character.trigger_word)

    # Credits: 300 held, then 300 charged; nothing else.
    assert credits_available(org) == 50
    entries = list(LedgerEntry.objects.filter(org=org).order_by("pk").values_list("kind", "amount", "held_delta"))
    assert entries[1:] == [("hold", 0, 300), ("capture", -300, -300)]
    assert Hold.objects.get(pk=run.hold_id).status == "captured"
    assert ledger_problems(org) == []

    note = Notification.objects.get(user=people.member)
    assert note.title == "Demo run finished for Ava Stone (no model trained)"  # never "HD mode unlocked" for a demo
    assert "placeholder" in note.body
    assert note.url.endswith(f"/characters/{character.public_id}/")
    assert [m.subject for m in mailoutbox] == ["Demo run finished for Ava Stone (no model trained)"]
    assert mailoutbox[0].to == [people.member.email]

    # Product analytics: started, completed (the demo's time, marked as the demo's), LoRA mode on.
    events = {e.name: e.properties for e in Event.objects.filter(user=people.member)}
    assert events["lora_training_started"]["sheet_count"] == 20
    assert events["lora_training_completed"]["demo"] is True
    assert events["lora_training_completed"]["training_duration_ms"] >= 0
    assert events["lora_mode_activated"]["influencer_id"] == str(character.public_id)
    assert "hd_mode_unlocked_notification" in events


def test_a_double_click_starts_one_run(trainable, people, org, fund):
    fund(600)
    first = training.training_start(character=trainable, user=people.member, key="same")
    again = training.training_start(character=trainable, user=people.member, key="same")
    assert again.pk == first.pk
    assert TrainingRun.objects.count() == 1
    assert credits_available(org) == 300


def test_a_second_start_while_one_runs_is_refused(trainable, people, org, fund):
    fund(600)
    training.training_start(character=trainable, user=people.member, key="one")
    with pytest.raises(DomainError, match="Training is already running for Ava Stone"):
        training.training_start(character=trainable, user=people.admin, key="two")
    assert TrainingRun.objects.count() == 1
    assert credits_available(org) == 300


def test_without_enough_credits_nothing_starts(trainable, people, org, fund):
    fund(299)
    with pytest.raises(InsufficientCredits) as exc:
        training.training_start(character=trainable, user=people.member, key="k")
    assert (exc.value.needed, exc.value.available) == (300, 299)
    assert not TrainingRun.objects.exists()
    assert not ProviderCall.objects.exists()
    assert Character.objects.get(pk=trainable.pk).lora_status == "none"
    assert credits_available(org) == 299
    assert ledger_problems(org) == []


def test_without_consent_training_is_refused(trainable, people, fund):
    fund(300)
    trainable.consents.all().delete()
    with pytest.raises(DomainError, match="consent") as exc:
        training.training_start(character=trainable, user=people.member, key="k")
    assert exc.value.field == "consent"
    assert not TrainingRun.objects.exists()


def test_a_dataset_that_changed_since_its_check_is_refused_with_the_reason(trainable, people, org, fund):
    fund(300)
    DatasetImage.objects.filter(character=trainable).first().delete()  # 19 photos now
    with pytest.raises(DomainError, match="Add 1 more photo"):
        training.training_start(character=trainable, user=people.member, key="k")
    assert not TrainingRun.objects.exists()
    assert credits_available(org) == 300


def test_cancel_before_the_trainer_starts_returns_the_credits(trainable, people, org, fund):
    fund(300)
    run = training.training_start(character=trainable, user=people.member, key="k")  # nothing ran yet
    training.training_cancel(run=run, user=people.member)
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert run.error == f"Cancelled by {people.member.display_name}."
    assert Character.objects.get(pk=trainable.pk).lora_status == "none"
    assert credits_available(org) == 300
    training.training_prepare(run_id=run.pk)  # the queued task runs late: it does nothing
    run.refresh_from_db()
    assert run.call_id is None
    assert run.zip_key == ""
    with pytest.raises(DomainError, match="already finished"):
        training.training_cancel(run=run, user=people.member)
    assert ledger_problems(org) == []


def test_a_photo_deleted_before_zipping_fails_the_run_with_credits_back(
    trainable, people, org, fund, django_capture_on_commit_callbacks
):
    fund(300)
    run = training.training_start(character=trainable, user=people.member, key="k")
    image = DatasetImage.objects.filter(character=trainable).select_related("asset").first()
    storage.storage().delete(image.asset.original_key)
    with django_capture_on_commit_callbacks(execute=True):
        training.training_prepare(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "was deleted, so training couldn't read it" in run.error
    assert run.call_id is None
    assert Character.objects.get(pk=trainable.pk).lora_status == "failed"
    assert credits_available(org) == 300
    assert Notification.objects.get(user=people.member).title == "Training failed for Ava Stone"
    assert "was deleted" in Event.objects.get(name="lora_training_failed").properties["error"]


def test_the_safetensors_check_refuses_what_isnt_one(tmp_path):
    from providers.adapters.base import ProviderError
    from providers.adapters.demo import demo_safetensors

    good = tmp_path / "good.safetensors"
    good.write_bytes(demo_safetensors(images=3, trigger_word="prsnabcd", steps=10))
    assert lora_files.safetensors_check(good)["__metadata__"]["trigger_word"] == "prsnabcd"
    for name, content in {
        "empty": b"",
        "html": b"<html><body>Not found</body></html>",
        "short": struct.pack("<Q", 500) + b"{}",
        "no-weights": struct.pack("<Q", 18) + b'{"__metadata__":{}}'[:18],
    }.items():
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(ProviderError, match=r"isn.t a face model|no weights"):
            lora_files.safetensors_check(bad)


def test_the_library_lists_the_face_model_next_to_the_reference_images(
    trainable, people, org, fund, django_capture_on_commit_callbacks
):
    """The library lists the face model as a file, next to the four reference images."""
    fund(300)
    _start(django_capture_on_commit_callbacks, character=trainable, user=people.member, key="k")
    kinds = sorted(Asset.objects.for_org(org).filter(source="generated").values_list("kind", flat=True))
    assert kinds == ["file", "image", "image", "image", "image"]
