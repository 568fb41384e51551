"""The character and dataset services: plan limits, adult ages, photos in and out of buckets,
refusals that leave nothing behind, and consent records."""

from pathlib import Path

import pytest

from assets import media
from assets.models import Asset
from assets.tests import media_samples
from assets.tests.factories import asset_files, jpeg_bytes, stored_files
from billing.models import Plan
from characters import services
from characters.models import Character, Consent, DatasetImage
from core.exceptions import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def character(org, people):
    return services.character_create(org=org, user=people.owner, name="Ava Stone", origin=Character.Origin.PHOTOS)


def photo_file(tmp_path, seed: int, size=(900, 900)) -> Path:
    path = tmp_path / f"photo-{seed}.jpg"
    path.write_bytes(jpeg_bytes(size, seed))
    return path


def add(character, tmp_path, seed: int, bucket: str = "closeup") -> DatasetImage:
    return services.dataset_add(
        character=character, user=None, path=photo_file(tmp_path, seed), filename=f"photo-{seed}.jpg", bucket=bucket
    )


# --- Characters ----------------------------------------------------------------------------------


def test_it_creates_a_character_with_a_trigger_word(org, people):
    character = services.character_create(
        org=org, user=people.member, name="  Maya  ", origin="photos", gender="female", age=34
    )
    assert character.name == "Maya"
    assert character.trigger_word.startswith("prsn")
    assert (character.gender, character.age, character.created_by) == ("female", 34, people.member)


@pytest.mark.parametrize("age", [17, 0, -3])
def test_it_refuses_minors(org, age):
    with pytest.raises(DomainError, match="Characters are adults"):
        services.character_create(org=org, user=None, name="Kid", origin="photos", age=age)
    assert not Character.objects.exists()


def test_it_refuses_a_blank_name_and_unknown_choices(org):
    with pytest.raises(DomainError, match="Give the character a name"):
        services.character_create(org=org, user=None, name="   ", origin="photos")
    with pytest.raises(DomainError, match="isn't one of the choices"):
        services.character_create(org=org, user=None, name="Maya", origin="photos", gender="robot")


def test_the_plan_limits_how_many_characters_an_org_has(org):
    org.plan = Plan.objects.get(slug="free")
    org.save()
    limit = org.plan.max_characters
    for n in range(limit):
        services.character_create(org=org, user=None, name=f"C{n}", origin="photos")
    assert services.characters_remaining(org) == 0
    with pytest.raises(DomainError, match=f"includes {limit} character"):
        services.character_create(org=org, user=None, name="One more", origin="wizard")
    assert Character.objects.filter(org=org).count() == limit


def test_unlimited_plans_have_no_remaining_count(org):
    org.plan = Plan.objects.filter(max_characters__isnull=True).first()
    org.save()
    assert services.characters_remaining(org) is None


def test_update_changes_only_editable_fields_and_keeps_adults(character):
    services.character_update(character=character, name="Ava S.", age=40, hair_colour="red")
    character.refresh_from_db()
    assert (character.name, character.age, character.hair_colour) == ("Ava S.", 40, "red")
    with pytest.raises(DomainError, match="18 or more"):
        services.character_update(character=character, age=16)
    with pytest.raises(ValueError, match="lora_key"):
        services.character_update(character=character, lora_key="orgs/x/loras/y.safetensors")
    character.refresh_from_db()
    assert character.age == 40


# --- The dataset ---------------------------------------------------------------------------------


def test_photos_go_to_the_end_of_their_bucket(character, tmp_path):
    first = add(character, tmp_path, 1)
    second = add(character, tmp_path, 2)
    other = add(character, tmp_path, 3, bucket="full")
    assert (first.position, second.position, other.position) == (1, 2, 1)
    assert first.asset.metadata["character"] == str(character.public_id)
    assert first.analysis == DatasetImage.Analysis.PENDING


def test_a_damaged_photo_is_refused_and_leaves_no_files(character, tmp_path, media_root):
    bad = media_samples.truncated_jpeg(tmp_path / "cut.jpg")
    with pytest.raises(media.MediaError):
        services.dataset_add(character=character, user=None, path=bad, filename="cut.jpg", bucket="closeup")
    assert not DatasetImage.objects.exists()
    assert not Asset.objects.exists()
    assert stored_files(media_root) == set()


def test_an_unknown_bucket_is_refused_before_any_work(character, tmp_path):
    with pytest.raises(DomainError, match="one of the four groups"):
        add(character, tmp_path, 1, bucket="selfies")
    assert not Asset.objects.exists()


def test_a_full_dataset_refuses_more_and_discards_the_new_asset(character, tmp_path, media_root):
    for n in range(30):
        add(character, tmp_path, 100 + n, bucket=["closeup", "half", "full", "variety"][n % 4])
    files = stored_files(media_root)
    with pytest.raises(DomainError, match="at most 30 photos"):
        add(character, tmp_path, 999)
    assert DatasetImage.objects.count() == 30
    assert Asset.objects.count() == 30
    assert stored_files(media_root) == files


def test_the_30th_place_is_checked_again_under_the_lock(character, tmp_path, media_root, monkeypatch):
    """Two uploads for the last place: the one that loses the race leaves no asset behind."""
    for n in range(29):
        add(character, tmp_path, 200 + n)
    files = stored_files(media_root)
    real = services._photo_from_file

    def racing(**kwargs):
        monkeypatch.setattr(services, "_photo_from_file", real)
        asset = real(**kwargs)
        add(character, tmp_path, 777)  # the other upload lands while this one was processing
        return asset

    monkeypatch.setattr(services, "_photo_from_file", racing)
    with pytest.raises(DomainError, match="at most 30 photos"):
        add(character, tmp_path, 778)
    assert DatasetImage.objects.count() == 30
    assert Asset.objects.count() == 30
    winner = DatasetImage.objects.latest("id").asset
    assert winner.original_filename == "photo-777.jpg"
    assert stored_files(media_root) == files | asset_files(winner)


def test_move_to_the_same_bucket_changes_nothing(character, tmp_path):
    image = add(character, tmp_path, 1)
    services.dataset_move(image=image, bucket="closeup")
    image.refresh_from_db()
    assert (image.bucket, image.position) == ("closeup", 1)


def test_replace_refuses_a_photo_already_in_the_dataset(character, tmp_path):
    first = add(character, tmp_path, 1)
    second = add(character, tmp_path, 2)
    with pytest.raises(DomainError, match="already in the dataset"):
        services.dataset_replace(image=second, user=None, path=photo_file(tmp_path, 1), filename="again.jpg")
    second.refresh_from_db()
    assert second.asset_id != first.asset_id
    assert Asset.objects.count() == 2


def test_removing_the_avatar_photo_clears_the_avatar(character, tmp_path):
    image = add(character, tmp_path, 1)
    Character.objects.filter(pk=character.pk).update(avatar=image.asset)
    services.dataset_remove(image=image)
    character.refresh_from_db()
    assert character.avatar is None


def test_clear_removes_every_photo_and_asset(character, tmp_path):
    for n in range(3):
        add(character, tmp_path, n)
    assert services.dataset_clear(character=character) == 3
    assert not DatasetImage.objects.exists()
    assert not Asset.objects.exists()


# --- Consent -------------------------------------------------------------------------------------


def test_consent_keeps_the_exact_text_and_the_newest_current_version_counts(character, people):
    assert services.consent_current(character) is None
    old = services.consent_record(character=character, user=people.owner, ip="192.0.2.1", user_agent="A" * 400)
    assert old.user_agent == "A" * 300
    assert services.consent_current(character) == old
    Consent.objects.filter(pk=old.pk).update(text_version="2020-01")
    assert services.consent_current(character) is None  # a new text needs a new confirmation
    new = services.consent_record(character=character, user=people.member, ip=None, covers_adult_content=True)
    assert services.consent_current(character) == new
    assert new.ip is None
    assert new.text == f"{services.CONSENT_TEXT}\n\n{services.CONSENT_ADULT_TEXT}"
