"""The characters' ``*_or_404`` lookups: the org's own row, and one 404 for everything else."""

import uuid

import pytest
from django.http import Http404

from assets.tests.factories import AssetRowFactory
from characters import selectors
from characters.models import Character, DatasetImage, TrainingRun

pytestmark = pytest.mark.django_db

MADE_UP = (uuid.uuid4(), "not-a-uuid", "", None)


def _character(org):
    return Character.objects.create(org=org, name=f"Ava {org.slug}", origin=Character.Origin.PHOTOS)


def _photo(character):
    asset = AssetRowFactory(org=character.org)
    return DatasetImage.objects.create(org=character.org, character=character, asset=asset, bucket="closeup")


def _run(character):
    return TrainingRun.objects.create(
        org=character.org, character=character, source="photos", trigger_word="ava", steps=1000, credits=300
    )


def test_a_character_is_found_only_in_its_own_org(org, people):
    mine, theirs = _character(org), _character(people.other_org)

    assert selectors.character_or_404(org, mine.public_id) == mine
    for public_id in (theirs.public_id, *MADE_UP):
        with pytest.raises(Http404):
            selectors.character_or_404(org, public_id)


@pytest.mark.parametrize(
    ("lookup", "make"), [(selectors.dataset_image_or_404, _photo), (selectors.training_run_or_404, _run)]
)
def test_a_characters_photo_or_run_is_found_only_under_that_character(org, people, lookup, make):
    character, sibling = _character(org), Character.objects.create(org=org, name="Bo", origin=Character.Origin.PHOTOS)
    theirs = _character(people.other_org)
    row = make(character)

    assert lookup(character, row.public_id) == row
    for public_id in (make(sibling).public_id, make(theirs).public_id, *MADE_UP):
        with pytest.raises(Http404):
            lookup(character, public_id)
