"""Character tests: their own MEDIA_ROOT, the demo provider at zero latency, a funded org, and
characters in the states the pipelines start from. ``analyse_once`` (the root conftest) memoises
dlib's results per distinct photo."""

from __future__ import annotations

import pytest

from assets.services import asset_create_from_bytes
from characters import dataset
from characters.models import Character, DatasetImage
from characters.services import consent_record
from characters.tests import photos

LAYOUT_20 = ["closeup"] * 8 + ["half"] * 6 + ["full"] * 4 + ["variety"] * 2


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider):
    """Every test: its own MEDIA_ROOT and the demo provider at zero latency."""


@pytest.fixture
def trainable(org, people, analyse_once, django_capture_on_commit_callbacks) -> Character:
    """A photo character with 20 real photos of one person (12-9-6-3 for 20: 8/6/4/2) that passed
    the real dataset check, and a consent record by ``people.member``."""
    character = Character.objects.create(
        org=org, name="Ava Stone", origin=Character.Origin.PHOTOS, created_by=people.member, gender="female", age=29
    )
    for position, (data, bucket) in enumerate(zip(photos.person_a_photos(20), LAYOUT_20, strict=True)):
        asset = asset_create_from_bytes(org=org, data=data, filename=f"ava-{position + 1}.jpg")
        image = DatasetImage.objects.create(org=org, character=character, asset=asset, bucket=bucket, position=position)
        dataset.image_analyse(image_id=image.pk)
    with django_capture_on_commit_callbacks(execute=True):
        dataset.dataset_check_start(character=character, user=people.member)
    consent_record(character=character, user=people.member, ip="203.0.113.5", user_agent="pytest")
    status = dataset.dataset_status(character)
    assert status.can_train, status.reasons
    return character


@pytest.fixture
def wizard_character(org, people) -> Character:
    return Character.objects.create(
        org=org,
        name="Mara Quinn",
        origin=Character.Origin.WIZARD,
        created_by=people.member,
        gender="female",
        age=27,
        ethnicity="east_asian",
        hair_colour="black",
        hair_style="long_wavy",
        eye_colour="brown",
        body_type="athletic",
        default_outfit="leather_jacket",
    )
