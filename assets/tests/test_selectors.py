"""The library's ``*_or_404`` lookups: the org's own row, and one 404 for everything else."""

import uuid

import pytest
from django.http import Http404
from django.utils import timezone

from assets import selectors
from assets.models import Export
from assets.tests.factories import AssetRowFactory, CollectionFactory, UploadFactory

pytestmark = pytest.mark.django_db

LOOKUPS = {
    "asset": (selectors.asset_or_404, lambda org: AssetRowFactory(org=org)),
    "collection": (selectors.collection_or_404, lambda org: CollectionFactory(org=org)),
    "upload": (selectors.upload_or_404, lambda org: UploadFactory(org=org)),
    "export": (
        selectors.export_or_404,
        lambda org: Export.objects.create(org=org, asset_ids=[], status=Export.Status.READY, expires_at=timezone.now()),
    ),
}


@pytest.mark.parametrize("name", LOOKUPS)
def test_it_finds_the_orgs_own_row(org, name):
    lookup, make = LOOKUPS[name]
    row = make(org)

    assert lookup(org, row.public_id) == row
    assert lookup(org, str(row.public_id)) == row


@pytest.mark.parametrize("name", LOOKUPS)
def test_another_orgs_row_a_missing_one_and_a_malformed_id_are_all_404(org, people, name):
    lookup, make = LOOKUPS[name]
    theirs = make(people.other_org)

    for public_id in (theirs.public_id, uuid.uuid4(), "not-a-uuid", "", None):
        with pytest.raises(Http404):
            lookup(org, public_id)
