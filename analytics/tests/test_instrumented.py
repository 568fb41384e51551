"""Events other apps record through ``track`` (the Studio's, edits' and packs' are checked in
generation's tests, training's in characters')."""

import pytest

from analytics.models import Event
from billing import signals
from billing.models import Plan
from characters import services as characters

pytestmark = pytest.mark.django_db


def test_making_a_character_is_recorded(org, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        character = characters.character_create(org=org, user=people.member, name="Nova Reyes", origin="photos")

    event = Event.objects.get(name="character_created")
    assert (event.org, event.user) == (org, people.member)
    assert event.properties == {"influencer_id": str(character.public_id), "origin": "photos"}


def test_a_dearer_plan_is_an_upgrade_and_a_cheaper_one_is_not(org, people, django_capture_on_commit_callbacks):
    org.created_by = people.owner
    org.save(update_fields=["created_by"])
    free, agency = Plan.objects.get(slug="free"), Plan.objects.get(slug="agency")

    with django_capture_on_commit_callbacks(execute=True):
        signals.plan_changed.send(sender=None, org=org, old_plan=free, new_plan=agency)
        signals.plan_changed.send(sender=None, org=org, old_plan=agency, new_plan=free)

    upgraded = Event.objects.get(name="plan_upgraded")
    assert (upgraded.org, upgraded.user) == (org, people.owner)
    assert upgraded.properties == {"plan": "agency", "previous": "free"}
    assert Event.objects.get(name="plan_downgraded").properties == {"plan": "free", "previous": "agency"}
