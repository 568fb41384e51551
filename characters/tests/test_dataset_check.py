"""The per-photo analysis and the dataset check, on real photos through the real dlib models.

Each distinct photo is analysed by dlib once per test session (the conftest's ``analyse_once``
memoises the results by the file's bytes; they are dlib's own), so the 20-photo datasets stay fast.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from assets.services import asset_create_from_bytes
from assets.storage import storage
from assets.tests.factories import AssetFactory
from characters import dataset, identity
from characters.models import Character, DatasetCheck, DatasetImage
from characters.tests import photos
from core.exceptions import DomainError

# analyse_once (conftest): dlib runs once per distinct photo per session; its results are memoised.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("analyse_once")]

LAYOUT_20 = ["closeup"] * 8 + ["half"] * 6 + ["full"] * 4 + ["variety"] * 2


@pytest.fixture
def character(org):
    return Character.objects.create(org=org, name="Ava Stone", origin=Character.Origin.PHOTOS)


def add(character, data: bytes, bucket: str, name: str = "photo.jpg") -> DatasetImage:
    asset = asset_create_from_bytes(org=character.org, data=data, filename=name)
    return DatasetImage.objects.create(org=character.org, character=character, asset=asset, bucket=bucket)


def person_a_dataset(character, replace: dict[int, bytes] | None = None) -> list[DatasetImage]:
    """20 photos of person A in the 8-6-4-2 layout; ``replace`` swaps photo i for other bytes."""
    replace = replace or {}
    return [
        add(character, replace.get(i, data), bucket, f"a-{i}.jpg")
        for i, (data, bucket) in enumerate(zip(photos.person_a_photos(20), LAYOUT_20, strict=True))
    ]


def run_check(character, capture) -> DatasetCheck:
    with capture(execute=True):
        check = dataset.dataset_check_start(character=character, user=None)
    check.refresh_from_db()
    return check


def codes(image: DatasetImage) -> list[tuple[str, str]]:
    image.refresh_from_db()
    return [(issue["code"], issue["level"]) for issue in image.issues]


# --- Analysis ---------------------------------------------------------------------------------


def test_the_worker_analyses_a_photo_after_it_is_added(character, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = add(character, photos.person_a_photos(1)[0], "closeup")
        dataset.analysis_enqueue(image)
    image.refresh_from_db()
    assert image.analysis == DatasetImage.Analysis.DONE
    assert min(image.width, image.height) >= 1024
    assert image.face_count == 1
    left, top, right, bottom = image.face_box
    assert 0 <= left < right <= image.width
    assert 0 <= top < bottom <= image.height
    assert len(image.embedding) == 128
    assert image.sharpness > dataset.BLURRY_SHARPNESS
    assert image.analysis_ms is not None
    assert image.analysis_error == ""


def test_analysing_twice_or_after_deletion_changes_nothing(character):
    image = add(character, photos.person_a_photos(1)[0], "closeup")
    dataset.image_analyse(image_id=image.pk)
    image.refresh_from_db()
    first = (image.analysis_ms, image.embedding)
    dataset.image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert (image.analysis_ms, image.embedding) == first
    image.delete()
    dataset.image_analyse(image_id=image.pk)  # no error


def test_a_damaged_file_fails_its_analysis_and_blocks_as_undecodable(character, django_capture_on_commit_callbacks):
    images = person_a_dataset(character)
    broken = images[3]
    whole = photos.person_a_photos(20)[3]
    stored = broken.asset.variants["preview"]  # what the analysis reads
    storage().delete(stored)
    storage().save(stored, ContentFile(whole[: len(whole) // 4]))
    dataset.image_analyse(image_id=broken.pk)
    broken.refresh_from_db()
    assert broken.analysis == DatasetImage.Analysis.FAILED
    assert "damaged or incomplete" in broken.analysis_error
    assert broken.width is None

    check = run_check(character, django_capture_on_commit_callbacks)
    assert codes(broken) == [("undecodable", "blocking")]
    assert broken.level == DatasetImage.Level.BLOCKING
    assert "Export it again" in broken.issues[0]["message"]
    assert check.blocking == 1


def test_a_missing_stored_file_is_explained(character):
    image = add(character, photos.person_a_photos(1)[0], "closeup")
    storage().delete(image.asset.variants["preview"])
    dataset.image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.analysis == DatasetImage.Analysis.FAILED
    assert "missing" in image.analysis_error
    assert "upload the photo again" in image.analysis_error


# --- The check ----------------------------------------------------------------------------------


def test_twenty_photos_of_one_person_pass_and_set_the_identity_reference(character, django_capture_on_commit_callbacks):
    images = person_a_dataset(character)
    assert all(image.analysis == DatasetImage.Analysis.PENDING for image in images)

    check = run_check(character, django_capture_on_commit_callbacks)

    assert check.status == DatasetCheck.Status.DONE
    assert (check.images, check.ok, check.warnings, check.blocking) == (20, 20, 0, 0)
    assert check.problems == []
    assert check.duration_ms is not None
    assert check.finished_at is not None
    for image in DatasetImage.objects.filter(character=character):
        assert image.analysis == DatasetImage.Analysis.DONE  # the check analysed them itself
        assert (image.level, image.issues) == (DatasetImage.Level.OK, [])
        assert image.identity_distance < identity.BORDERLINE
    status = dataset.dataset_status(character)
    assert status.check_current
    assert status.can_train
    assert status.reasons == []
    assert (status.total, status.pending, status.blocking, status.unaccepted_warnings) == (20, 0, 0, 0)

    character.refresh_from_db()
    assert (character.identity_source, character.identity_images) == ("dataset", 20)
    assert identity.identity_score(photos.fixture("person-a-2"), character) >= 75
    assert identity.identity_score(photos.fixture("person-b-1"), character) < 30


def test_the_closest_clean_close_up_becomes_the_face_for_face_swap_mode(character, django_capture_on_commit_callbacks):
    # The stranger sits first among the close-ups; it must never be picked.
    images = person_a_dataset(character, replace={0: photos.photo("person-b-1")})
    assert character.mode == "none"

    run_check(character, django_capture_on_commit_callbacks)

    character.refresh_from_db()
    closest = min(
        DatasetImage.objects.filter(character=character, bucket="closeup", level="ok").values_list(
            "identity_distance", flat=True
        )
    )
    chosen = DatasetImage.objects.get(character=character, asset_id=character.base_image_id)
    assert character.avatar_id == chosen.asset_id
    assert chosen.bucket == "closeup"
    assert round(chosen.identity_distance, 2) == round(closest, 2)
    assert chosen.asset_id != images[0].asset_id
    assert character.mode == "face_swap"


def test_another_person_mixed_in_is_blocking(character, django_capture_on_commit_callbacks):
    images = person_a_dataset(character, replace={9: photos.photo("person-b-1")})
    check = run_check(character, django_capture_on_commit_callbacks)
    stranger = images[9]
    assert codes(stranger) == [("other_person", "blocking")]
    assert "different person" in stranger.issues[0]["message"]
    assert stranger.identity_distance > identity.SAME_PERSON
    assert check.blocking == 1
    assert check.ok == 19
    status = dataset.dataset_status(character)
    assert not status.can_train
    assert status.reasons == ["1 photo must be fixed: replace or remove it, then run the check again."]
    character.refresh_from_db()
    assert character.identity_images == 19  # the stranger isn't part of the reference


def test_a_group_photo_a_faceless_photo_and_a_tiny_photo_are_blocking(character, django_capture_on_commit_callbacks):
    tiny = photos.fixture("person-a-4").crop((112, 0, 976, 576)).resize((600, 400), Image.Resampling.LANCZOS)
    images = person_a_dataset(
        character,
        replace={
            1: photos.photo("group-3-faces"),
            2: photos.faceless_photo(),
            10: photos.jpeg(tiny),
            19: photos.faceless_photo((1100, 1000), seed=1),  # in Variety: maybe a back view
        },
    )
    check = run_check(character, django_capture_on_commit_callbacks)

    assert codes(images[1]) == [("many_faces", "blocking")]
    found = images[1].face_count
    assert found >= 2
    assert images[1].issues[0]["message"].startswith(f"{found} faces found — crop the photo to this person alone")
    assert codes(images[2]) == [("no_face", "blocking")]
    assert codes(images[10]) == [("too_small", "blocking")]
    assert "600 × 400 px" in images[10].issues[0]["message"]
    assert "at least 768 px" in images[10].issues[0]["message"]
    assert codes(images[19]) == [("no_face", "warning")]
    assert (check.blocking, check.warnings, check.ok) == (3, 1, 16)


def test_the_same_photo_twice_blocks_the_later_copy(character, django_capture_on_commit_callbacks):
    first = photos.person_a_photos(20)[0]
    images = person_a_dataset(character, replace={12: first})
    run_check(character, django_capture_on_commit_callbacks)
    assert codes(images[0]) == []
    assert codes(images[12]) == [("duplicate", "blocking")]
    assert "already in this dataset (in Close-ups)" in images[12].issues[0]["message"]


def test_a_near_copy_and_a_blurred_photo_are_warnings_that_can_be_accepted(
    character, django_capture_on_commit_callbacks
):
    spare = photos.person_a_photos(21)[20]
    images = person_a_dataset(
        character,
        replace={
            5: photos.resaved(photos.person_a_photos(20)[0]),
            15: photos.blurred(spare, radius=8),
        },
    )
    check = run_check(character, django_capture_on_commit_callbacks)
    assert codes(images[5]) == [("near_duplicate", "warning")]
    assert codes(images[15]) == [("blurry", "warning")]
    assert (check.warnings, check.blocking) == (2, 0)
    status = dataset.dataset_status(character)
    assert not status.can_train
    assert status.unaccepted_warnings == 2
    assert status.reasons == ["2 photos have warnings: replace them, or accept the warnings to train anyway."]

    assert dataset.warnings_accept(character=character, image_ids=[str(images[5].public_id), "not-a-uuid"]) == 1
    assert dataset.dataset_status(character).unaccepted_warnings == 1
    assert dataset.warnings_accept(character=character, image_ids=None) == 1
    assert dataset.dataset_status(character).can_train

    # The same findings on a re-check keep the acceptance.
    run_check(character, django_capture_on_commit_callbacks)
    assert dataset.dataset_status(character).can_train


def test_changed_findings_reset_an_accepted_warning(character, django_capture_on_commit_callbacks):
    spare = photos.person_a_photos(21)[20]
    images = person_a_dataset(character, replace={15: photos.blurred(spare, radius=8)})
    run_check(character, django_capture_on_commit_callbacks)
    dataset.warnings_accept(character=character, image_ids=None)
    # Now the blurred photo is also a near copy of a new photo added before it in the list.
    duplicate_of_blurred = images[15]
    DatasetImage.objects.filter(pk=images[0].pk).delete()
    add(character, photos.resaved(photos.blurred(spare, radius=8)), "closeup", "again.jpg")
    run_check(character, django_capture_on_commit_callbacks)
    duplicate_of_blurred.refresh_from_db()
    assert [i["code"] for i in duplicate_of_blurred.issues] == ["blurry"]
    assert duplicate_of_blurred.warnings_accepted  # its own findings didn't change
    newest = DatasetImage.objects.get(character=character, asset__original_filename="again.jpg")
    assert [i["code"] for i in newest.issues] == ["near_duplicate", "blurry"]
    assert not newest.warnings_accepted
    assert not dataset.dataset_status(character).can_train


def test_blocking_photos_cannot_be_accepted(character, django_capture_on_commit_callbacks):
    images = person_a_dataset(character, replace={2: photos.faceless_photo()})
    run_check(character, django_capture_on_commit_callbacks)
    assert dataset.warnings_accept(character=character, image_ids=[str(images[2].public_id)]) == 0
    assert dataset.warnings_accept(character=character, image_ids=None) == 0
    images[2].refresh_from_db()
    assert not images[2].warnings_accepted


def test_a_changed_dataset_needs_a_new_check(character, django_capture_on_commit_callbacks):
    images = person_a_dataset(character)
    run_check(character, django_capture_on_commit_callbacks)
    assert dataset.dataset_status(character).can_train

    DatasetImage.objects.filter(pk=images[19].pk).update(bucket="closeup")  # moved to another bucket
    status = dataset.dataset_status(character)
    assert not status.check_current
    assert not status.can_train
    assert status.count_problems == ["Variety: add 1 more (at least 2 of 20, you have 1)."]

    DatasetImage.objects.filter(pk=images[19].pk).update(bucket="variety")
    assert dataset.dataset_status(character).can_train  # back to exactly what was checked

    add(character, photos.person_a_photos(21)[20], "half")
    status = dataset.dataset_status(character)
    assert not status.check_current
    assert not status.can_train
    assert status.can_check
    assert status.pending == 1
    assert status.reasons == ["Your photos changed since the last check. Run the check again."]


# --- Counts --------------------------------------------------------------------------------------


def cheap_dataset(character, layout: dict[str, int]) -> None:
    """Rows with small placeholder images: enough for the count rules, never analysed."""
    for bucket, count in layout.items():
        for i in range(count):
            asset = AssetFactory(org=character.org, filename=f"{bucket}-{i}.jpg")
            DatasetImage.objects.create(org=character.org, character=character, asset=asset, bucket=bucket)


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"closeup": 8, "half": 6, "full": 3, "variety": 2}, "Add 1 more photo: training needs 20–30, you have 19."),
        (
            {"closeup": 13, "half": 9, "full": 6, "variety": 3},
            "Remove 1 photo: training takes at most 30, you have 31.",
        ),
        ({"closeup": 7, "half": 7, "full": 4, "variety": 2}, "Close-ups: add 1 more (at least 8 of 20, you have 7)."),
    ],
)
def test_wrong_counts_refuse_the_check(character, layout, message):
    cheap_dataset(character, layout)
    with pytest.raises(DomainError) as refused:
        dataset.dataset_check_start(character=character, user=None)
    assert refused.value.message.startswith("Fix the photo counts before the check: ")
    assert message in refused.value.message
    assert not DatasetCheck.objects.filter(character=character).exists()
    status = dataset.dataset_status(character)
    assert not status.can_check
    assert not status.can_train
    assert message in status.reasons


def test_an_empty_dataset_says_what_to_add(character):
    status = dataset.dataset_status(character)
    assert (status.total, status.check, status.can_check, status.can_train) == (0, None, False, False)
    assert status.minimums == {"closeup": 8, "half": 6, "full": 4, "variety": 2}
    assert status.reasons[0] == "Add 20 more photos: training needs 20–30, you have 0."


def test_a_double_click_starts_one_check(character):
    cheap_dataset(character, {"closeup": 8, "half": 6, "full": 4, "variety": 2})
    first = dataset.dataset_check_start(character=character, user=None)  # its task waits for the commit
    again = dataset.dataset_check_start(character=character, user=None)
    assert again.pk == first.pk
    status = dataset.dataset_status(character)
    assert status.running
    assert not status.can_check
    assert status.reasons == ["The dataset check is running."]


def test_a_check_that_crashes_finishes_with_a_problem_instead_of_hanging(
    character, django_capture_on_commit_callbacks, monkeypatch
):
    cheap_dataset(character, {"closeup": 8, "half": 6, "full": 4, "variety": 2})

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dataset, "consensus", crash)
    check = run_check(character, django_capture_on_commit_callbacks)
    assert check.status == DatasetCheck.Status.DONE
    assert check.problems == ["The check stopped unexpectedly before it finished. Run it again."]
    status = dataset.dataset_status(character)
    assert status.can_check
    assert not status.can_train
    assert status.reasons == check.problems


def test_a_check_whose_worker_died_can_be_run_again(character):
    cheap_dataset(character, {"closeup": 8, "half": 6, "full": 4, "variety": 2})
    stuck = dataset.dataset_check_start(character=character, user=None)
    DatasetCheck.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    status = dataset.dataset_status(character)
    assert status.can_check
    assert not status.running
    assert status.reasons == ["The last check didn't finish. Run it again."]
    fresh = dataset.dataset_check_start(character=character, user=None)
    assert fresh.pk != stuck.pk
