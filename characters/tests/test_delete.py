"""Deleting a character: the confirmation names what will go; then its photos, face model,
training zips and generated images are deleted, whatever runs is cancelled with credits back,
and nothing of anyone else's is touched."""

import pytest

from assets.models import Asset
from assets.tests.factories import AssetFactory, asset_files, stored_files
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from characters import deletion, training, wizard
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db


def test_the_preview_names_what_will_go_and_delete_removes_it_all(
    trainable, people, org, fund, media_root, django_capture_on_commit_callbacks
):
    fund(300)
    keep = AssetFactory(org=org, filename="unrelated.jpg")  # someone else's work in the same library
    with django_capture_on_commit_callbacks(execute=True):
        training.training_start(character=trainable, user=people.member, key="k")
    character = Character.objects.get(pk=trainable.pk)
    assert character.mode == "hd"
    preview = deletion.character_delete_preview(character)
    assert preview == {
        "photos": 20,
        "lora": 1,
        "runs": 1,
        "images": 4,
        "active": 0,
        "summary": "20 photos, 1 face model, 1 training run, 4 images",
    }
    lora_key = character.lora_key
    assert (media_root / lora_key).exists()

    with django_capture_on_commit_callbacks(execute=True):
        deleted = deletion.character_delete(character=character, user=people.owner)
    assert deleted == preview
    assert not Character.objects.exists()
    assert not DatasetImage.objects.exists()
    assert not TrainingRun.objects.exists()
    assert not CharacterJob.objects.exists()
    assert list(Asset.objects.all()) == [keep]
    assert stored_files(media_root) == asset_files(keep)  # photos, LoRA, references: all gone
    assert credits_available(org) == 0  # the finished training stays paid for
    assert ledger_problems(org) == []


def test_deleting_a_wizard_character_mid_sheet_returns_both_holds(
    wizard_character, people, org, fund, media_root, django_capture_on_commit_callbacks
):
    fund(376)
    with django_capture_on_commit_callbacks(execute=True):
        job = wizard.wizard_candidates_start(character=wizard_character, user=people.member, key="c")
    chosen = job.items.first().asset
    wizard.wizard_choose(character=wizard_character, asset=chosen, user=people.member, key="choose")  # not run yet
    assert credits_available(org) == 0
    preview = deletion.character_delete_preview(Character.objects.get(pk=wizard_character.pk))
    assert preview["active"] == 1
    assert preview["images"] == 4
    with django_capture_on_commit_callbacks(execute=True):
        deletion.character_delete(character=wizard_character, user=people.owner)
    assert credits_available(org) == 360  # the candidates were delivered and stay paid for
    assert set(
        Hold.objects.filter(operation__in=["character_sheet", "lora_training"]).values_list("status", flat=True)
    ) == {"released"}
    assert set(ProviderCall.objects.filter(operation="image_pulid").values_list("status", flat=True)) == {"cancelled"}
    assert not Asset.objects.exists()
    assert not list(media_root.glob("orgs/*/assets/*/*"))
    assert ledger_problems(org) == []


def test_another_characters_files_stay(
    trainable, wizard_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(16)
    with django_capture_on_commit_callbacks(execute=True):
        job = wizard.wizard_candidates_start(character=wizard_character, user=people.member, key="c")
    candidates = set(job.items.values_list("asset_id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        deletion.character_delete(character=trainable, user=people.owner)
    assert set(Asset.objects.values_list("pk", flat=True)) == candidates
    assert Character.objects.get() == wizard_character
