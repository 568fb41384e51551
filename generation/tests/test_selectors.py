"""Generation's ``*_or_404`` lookups: the org's own row, and one 404 for everything else."""

import uuid

import pytest
from django.http import Http404

from assets.tests.factories import AssetRowFactory
from characters.models import Character
from generation import selectors
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft

pytestmark = pytest.mark.django_db


def _character(org):
    return Character.objects.create(org=org, name=f"Nova {org.slug}", origin=Character.Origin.WIZARD)


def _pack(org):
    return GenerationJob.objects.create(
        org=org,
        character=_character(org),
        status="failed",
        mode="face_swap",
        count=1,
        operation="image_pulid",
        width=768,
        height=1360,
        steps=20,
        price_per_image=4,
        credits=4,
    )


def _edit_job(org):
    return EditJob.objects.create(
        org=org, kind=EditJob.Kind.UPSCALE, source=AssetRowFactory(org=org), operation="upscale", credits=2
    )


def _draft(org):
    return PromptDraft.objects.create(org=org, character=_character(org), status="succeeded", count=1, credits=1)


LOOKUPS = {
    "edit job": (selectors.edit_job_or_404, _edit_job),
    "pack": (selectors.pack_or_404, _pack),
    "prompt draft": (selectors.draft_or_404, _draft),
}


@pytest.mark.parametrize("name", LOOKUPS)
def test_it_finds_the_orgs_own_row(org, name):
    lookup, make = LOOKUPS[name]
    row = make(org)

    assert lookup(org, row.public_id) == row


@pytest.mark.parametrize("name", LOOKUPS)
def test_another_orgs_row_a_missing_one_and_a_malformed_id_are_all_404(org, people, name):
    lookup, make = LOOKUPS[name]
    theirs = make(people.other_org)

    for public_id in (theirs.public_id, uuid.uuid4(), "not-a-uuid", "", None):
        with pytest.raises(Http404):
            lookup(org, public_id)


def test_a_pack_image_is_found_by_its_position_in_that_pack_only(org):
    pack, other = _pack(org), _pack(org)
    image = GenerationImage.objects.create(job=pack, position=0, status="failed", seed=1, prompt="x")

    assert selectors.pack_image_or_404(pack, 0) == image
    for job, position in ((pack, 1), (other, 0)):
        with pytest.raises(Http404):
            selectors.pack_image_or_404(job, position)
