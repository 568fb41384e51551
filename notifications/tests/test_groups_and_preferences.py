"""Similar notifications grouped within the window; email by each person's preference per kind
(and for low credits); the preferences page; the bell's live count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.emails import email_send
from notifications import kinds
from notifications.models import Notification, NotificationPreference
from notifications.services import Group, email_wanted, notify, preferences_set

pytestmark = pytest.mark.django_db

GROUP = Group(key="job:generation-editjob:succeeded", title="{count} image edits done", url="/o/northstar/jobs/")


def _done(org, user, n):
    return notify(org=org, user=user, kind="job:generation-editjob", title=f"Upscale {n}: done", group=GROUP)


def test_similar_notifications_close_together_are_grouped(org, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            _done(org, people.member, n)
    [note] = Notification.objects.filter(user=people.member)
    assert note.count == 5
    assert note.title == "5 image edits done"
    assert note.url == "/o/northstar/jobs/"
    assert len(mailoutbox) == 1  # only the first of a group is emailed


def test_a_notification_outside_the_window_or_read_starts_a_new_group(org, people, settings):
    first = _done(org, people.member, 1)
    Notification.objects.filter(pk=first.pk).update(
        updated_at=timezone.now() - timedelta(minutes=settings.NOTIFICATION_GROUP_MINUTES + 1)
    )
    second = _done(org, people.member, 2)
    assert second.pk != first.pk
    Notification.objects.filter(pk=second.pk).update(read_at=timezone.now())
    third = _done(org, people.member, 3)
    assert third.pk not in (first.pk, second.pk)
    assert Notification.objects.filter(user=people.member).count() == 3
    assert {n.count for n in Notification.objects.all()} == {1}


def test_groups_are_per_person_and_per_kind(org, people):
    _done(org, people.member, 1)
    _done(org, people.owner, 2)
    notify(
        org=org, user=people.member, kind="job:video-videojob", title="Video: done", group=Group("other", "{count} x")
    )
    assert Notification.objects.count() == 3


def test_email_follows_the_persons_preference(org, people, mailoutbox, django_capture_on_commit_callbacks):
    kinds.kind_register("test_kind", "Tests")
    assert email_wanted(people.member, "test_kind") is True  # the default
    preferences_set(user=people.member, email={"test_kind": False, "not-a-kind": False})
    assert not NotificationPreference.objects.filter(kind="not-a-kind").exists()
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(org=org, user=people.member, kind="test_kind", title="Quietly done")
    assert note is not None
    assert Notification.objects.count() == 1
    assert mailoutbox == []
    preferences_set(user=people.member, email={"test_kind": True})
    with django_capture_on_commit_callbacks(execute=True):
        notify(org=org, user=people.member, kind="test_kind", title="Loudly done")
    assert [m.subject for m in mailoutbox] == ["Loudly done"]
    assert "/o/northstar/notifications/preferences/" in mailoutbox[0].body


def test_the_low_credit_email_skips_people_who_turned_it_off(people, mailoutbox, django_capture_on_commit_callbacks):
    preferences_set(user=people.owner, email={kinds.LOW_CREDITS: False})
    context = {"org": None, "available": 10, "threshold": 50, "url": "/x", "user": people.owner}
    with django_capture_on_commit_callbacks(execute=True):
        email_send(prefix="billing_low_credit", to=[people.owner.email, people.admin.email], context=context)
    assert [m.to for m in mailoutbox] == [[people.admin.email]]
    with django_capture_on_commit_callbacks(execute=True):
        email_send(prefix="billing_low_credit", to=[people.owner.email], context=context)
    assert len(mailoutbox) == 1  # nobody left to send to


def test_the_preferences_page_saves_choices_per_kind(login, org, people):
    client = login("viewer")
    url = reverse("notifications:preferences", args=[org.slug])
    html = client.get(url).content.decode()
    assert "Low credits" in html
    assert "Image edits" in html
    response = client.post(url, {"email": ["job:generation-editjob"]})
    assert response.status_code == 302
    assert email_wanted(people.viewer, "job:generation-editjob") is True
    assert email_wanted(people.viewer, kinds.LOW_CREDITS) is False
    assert email_wanted(people.member, kinds.LOW_CREDITS) is True  # someone else's untouched


def test_the_bell_answers_its_live_count(login, org, people):
    client = login("member")
    url = reverse("notifications:bell", args=[org.slug])
    assert 'data-unread="0"' in client.get(url).content.decode()
    _done(org, people.member, 1)
    notify(org=org, user=people.member, kind="x", title="Other")
    notify(org=org, user=people.owner, kind="x", title="Not mine")
    html = client.get(url).content.decode()
    assert 'data-unread="2"' in html
    assert 'hx-trigger="every 20s"' in html


@pytest.mark.django_db(transaction=True)
def test_grouping_works_outside_a_transaction_as_after_a_job_commits(org, people):
    # job_finish notifies from an on_commit hook, in autocommit: the group's row lock must bring
    # its own transaction rather than raise.
    for n in range(3):
        _done(org, people.member, n)
    [note] = Notification.objects.filter(user=people.member)
    assert note.count == 3
