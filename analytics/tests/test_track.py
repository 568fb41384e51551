"""Recording events: after commit, cheaply (one INSERT per request), and never at the cost of what
the person was doing."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from allauth.account.signals import user_signed_up
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from analytics.models import Event
from analytics.services import buffered, events_prune, track
from analytics.tasks import prune_events

pytestmark = pytest.mark.django_db


def test_it_records_the_event_once_the_transaction_commits(org, people, django_capture_on_commit_callbacks):
    job = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        track("studio_opened", org=org, user=people.member, job_id=job, at=timezone.now(), count=5)
        assert not Event.objects.exists()  # not before the commit

    event = Event.objects.get()
    assert (event.name, event.org, event.user) == ("studio_opened", org, people.member)
    assert event.properties["job_id"] == str(job)  # UUIDs and dates are stored as text
    assert event.properties["count"] == 5


def _start_then_fail(org, user):
    with transaction.atomic():
        track("generation_started", org=org, user=user)
        raise RuntimeError("the pack could not start")


def test_an_action_that_rolls_back_leaves_no_event(org, people):
    with pytest.raises(RuntimeError):
        _start_then_fail(org, people.member)

    assert not Event.objects.exists()


def test_a_request_writes_its_events_with_one_insert(org, people, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as queries, buffered():
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(5):
                track("scene_selected", org=org, user=people.member, scene=f"s{n}")
        assert not Event.objects.exists()  # held until the request ends

    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "analytics_event"')]
    assert len(inserts) == 1
    assert Event.objects.count() == 5


def test_a_failure_to_write_is_logged_and_swallowed(org, people, django_capture_on_commit_callbacks, caplog):
    with (
        mock.patch("analytics.services.Event.objects.bulk_create", side_effect=RuntimeError("disk full")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        track("studio_opened", org=org, user=people.member)

    assert "could not record 1 analytics event" in caplog.text
    assert not Event.objects.exists()


def test_odd_input_is_recorded_as_well_as_it_can_be(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        track("x" * 100, org=org, user=None, thing=object(), nested={"a": [1, {2, 3}]})
        track("anonymous", user=mock.Mock(pk=None))

    long_name, anonymous = Event.objects.order_by("id")
    assert long_name.name == "x" * 60
    assert isinstance(long_name.properties["thing"], str)
    assert anonymous.user is None


def test_a_sign_up_is_recorded(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_signed_up.send(sender=None, request=None, user=people.member)

    event = Event.objects.get(name="signed_up")
    assert event.user == people.member
    assert event.properties == {"method": "email"}


@override_settings(ANALYTICS_RETENTION_DAYS=30)
def test_events_past_their_retention_are_pruned(org):
    now = timezone.now()
    old = Event.objects.create(name="studio_opened", org=org, at=now - timedelta(days=31))
    kept = Event.objects.create(name="studio_opened", org=org, at=now - timedelta(days=29))

    assert events_prune(now=now) == 1
    assert list(Event.objects.all()) == [kept]
    assert not Event.objects.filter(pk=old.pk).exists()
    assert prune_events() == 0  # the beat task: nothing left to do
