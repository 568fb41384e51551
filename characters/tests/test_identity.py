"""Faces and identity on the real face fixtures, through the real dlib models (no mocks)."""

import io
import itertools
from functools import cache

import pytest
from PIL import Image

from assets.services import asset_create_from_bytes
from characters import identity
from characters.models import Character
from characters.tests import photos


@cache
def faces(name: str) -> tuple[identity.Face, ...]:
    """The fixture's faces, analysed once per session."""
    return tuple(identity.analyse(photos.FACES_DIR / f"{name}.jpg"))


def embedding(name: str) -> list[float]:
    [face] = faces(name)
    return face.embedding


def test_person_a_photos_are_one_identity():
    for a, b in itertools.combinations(photos.PERSON_A, 2):
        assert identity.distance(embedding(a), embedding(b)) < identity.SAME_PERSON, (a, b)
    reference = identity.mean(embedding(name) for name in photos.PERSON_A)
    for name in photos.PERSON_A:
        assert identity.score(identity.distance(embedding(name), reference)) >= 75, name


def test_person_b_is_someone_else():
    reference = identity.mean(embedding(name) for name in photos.PERSON_A)
    for name in ("person-b-1", "person-b-2"):
        assert identity.distance(embedding(name), reference) > identity.SAME_PERSON
        assert identity.score(identity.distance(embedding(name), reference)) < 30
    assert identity.distance(embedding("person-b-1"), embedding("person-b-2")) < identity.SAME_PERSON


def test_the_group_photo_has_more_than_one_face_largest_first():
    found = faces("group-3-faces")
    assert len(found) >= 2
    assert [face.area for face in found] == sorted((face.area for face in found), reverse=True)
    assert all(len(face.embedding) == 128 for face in found)


def test_a_photo_without_a_person_has_no_face():
    assert identity.analyse(io.BytesIO(photos.faceless_photo())) == []


def test_it_accepts_a_pil_image_a_path_and_a_file():
    image = photos.fixture("person-a-4")
    from_image = identity.analyse(image)
    from_path = identity.analyse(str(photos.FACES_DIR / "person-a-4.jpg"))
    with open(photos.FACES_DIR / "person-a-4.jpg", "rb") as fh:
        from_file = identity.analyse(fh)
    assert len(from_image) == len(from_path) == len(from_file) == 1
    assert identity.distance(from_image[0].embedding, from_file[0].embedding) < 0.05


def test_face_boxes_are_in_the_original_pixels_of_a_big_photo():
    small = photos.fixture("person-a-1")
    big = small.resize((small.width * 4, small.height * 4), Image.Resampling.LANCZOS)  # 3280 × 4096
    result = identity.photo_analyse(io.BytesIO(photos.jpeg(big)))
    assert (result.width, result.height) == big.size
    [face] = result.faces
    [reference] = faces("person-a-1")
    for ours, theirs in zip(face.box, reference.box, strict=True):
        assert abs(ours - theirs * 4) <= 24
    assert identity.distance(face.embedding, reference.embedding) < 0.2


def test_it_turns_the_photo_upright_from_its_exif_orientation():
    upright = photos.fixture("person-a-4")  # 1024 × 576, landscape
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # as a camera stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=92, exif=exif.tobytes())
    result = identity.photo_analyse(io.BytesIO(out.getvalue()))
    assert (result.width, result.height) == (1024, 576)
    [face] = result.faces
    [reference] = faces("person-a-4")
    assert identity.distance(face.embedding, reference.embedding) < 0.1
    assert abs(face.box[0] - reference.box[0]) < 20


def test_a_blurred_face_measures_less_sharp():
    [sharp] = faces("person-a-1")
    [soft] = identity.analyse(io.BytesIO(photos.blurred(photos.jpeg(photos.fixture("person-a-1")), radius=3)))
    assert soft.sharpness < sharp.sharpness / 5


def test_a_damaged_file_is_refused_in_plain_words():
    whole = photos.jpeg(photos.fixture("person-a-1"))
    with pytest.raises(identity.UnreadablePhoto, match="damaged or incomplete"):
        identity.analyse(io.BytesIO(whole[: len(whole) // 3]))
    with pytest.raises(identity.UnreadablePhoto, match="isn't an image file"):
        identity.analyse(io.BytesIO(b"PK\x03\x04 not a photo at all"))


def test_the_score_is_linear_around_the_same_person_threshold():
    assert identity.score(0.0) == 100
    assert identity.score(0.3) == 100
    assert identity.score(0.45) == 75
    assert identity.score(0.6) == 50
    assert identity.score(0.9) == 0
    assert identity.score(1.4) == 0


def test_the_mean_of_embeddings():
    assert identity.mean([[0.0, 2.0], [1.0, 4.0]]) == [0.5, 3.0]
    with pytest.raises(ValueError, match="at least one embedding"):
        identity.mean([])


@pytest.mark.django_db
def test_a_character_scores_its_own_face_high_and_others_low(org):
    character = Character.objects.create(org=org, name="Ava", origin=Character.Origin.PHOTOS)
    assert identity.identity_score(photos.fixture("person-a-1"), character) is None  # no reference yet

    identity.reference_set(character, [embedding(name) for name in photos.PERSON_A[:3]], source="dataset")
    character.refresh_from_db()
    assert (character.identity_source, character.identity_images) == ("dataset", 3)
    assert len(character.identity_embedding) == 128

    assert identity.identity_score(photos.fixture("person-a-4"), character) >= 70
    assert identity.identity_score(photos.FACES_DIR / "person-b-2.jpg", character) < 30
    assert identity.identity_score(io.BytesIO(photos.faceless_photo()), character) is None

    asset = asset_create_from_bytes(org=org, data=photos.photo("person-a-2"), filename="ava.jpg")
    assert identity.identity_score(asset, character) >= 70
