"""Notifications: created with an email after the commit, listed newest first for their own
person only, marked read one at a time or all at once, and counted on the bell."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from core.tests.pages import text_of
from notifications.models import Notification
from notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/o/northstar/notifications/"


def _note(org, user, title, url="/o/northstar/characters/", email=False):
    return notify(org=org, user=user, kind="test", title=title, body=f"About {title}.", url=url, email=email)


def test_it_notifies_in_the_app_and_by_email_after_the_commit(
    org, people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(
            org=org,
            user=people.member,
            kind="training_succeeded",
            title="HD mode unlocked for Ava Stone",
            body="Ava Stone's face model is trained.",
            url="/o/northstar/characters/",
        )
    assert note.read_at is None
    assert Notification.objects.get() == note
    message = mailoutbox[0]
    assert message.subject == "HD mode unlocked for Ava Stone"
    assert message.to == [people.member.email]
    assert "Ava Stone's face model is trained." in message.body
    assert "http://testserver/o/northstar/characters/" in message.body
    html = message.alternatives[0][0]
    assert "Open in Personae" in html
    assert "Northstar Talent" in html


def test_nothing_is_sent_to_someone_who_left_or_to_nobody(org, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(org=org, user=people.outsider, kind="x", title="Not yours") is None
        assert notify(org=org, user=None, kind="x", title="No one") is None
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_email_false_notifies_only_in_the_app(org, people, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(org=org, user=people.member, kind="x", title="Quiet", email=False)
    assert Notification.objects.count() == 1
    assert mailoutbox == []


def test_the_page_lists_my_notifications_newest_first(client, org, people):
    _note(org, people.member, "Older")
    _note(org, people.member, "Newer")
    _note(org, people.admin, "Someone else's")
    _note(people.other_org, people.outsider, "Another organisation's")
    client.force_login(people.member)
    page = text_of(client.get(URL))
    assert page.index("Newer") < page.index("Older")
    assert "Someone else's" not in page
    assert "Another organisation's" not in page
    assert "Mark all 2 as read" in page


def test_opening_one_marks_it_read_and_goes_to_what_it_is_about(client, org, people):
    note = _note(org, people.member, "Training failed", url="/o/northstar/characters/")
    client.force_login(people.member)
    response = client.post(f"{URL}{note.public_id}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response.url == "/o/northstar/characters/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_one_read_without_opening_comes_back_to_the_list(client, org, people):
    note = _note(org, people.member, "Done", url="")
    client.force_login(people.member)
    response = client.post(f"{URL}{note.public_id}/read/")
    assert response.url == URL
    assert Notification.objects.get(pk=note.pk).read_at


def test_a_link_elsewhere_is_not_followed(client, org, people):
    note = _note(org, people.member, "Odd", url="https://evil.example.com/")
    client.force_login(people.member)
    assert client.post(f"{URL}{note.public_id}/read/", {"open": "1"}).url == URL


def test_someone_elses_notification_is_not_found(client, org, people):
    note = _note(org, people.admin, "Admin's")
    client.force_login(people.member)
    assert client.post(f"{URL}{note.public_id}/read/").status_code == 404
    assert Notification.objects.get(pk=note.pk).read_at is None
    client.force_login(people.outsider)
    assert client.get(URL).status_code == 404


def test_mark_all_read_touches_only_mine_here(client, org, people):
    mine = [_note(org, people.member, f"Mine {n}") for n in range(3)]
    theirs = _note(org, people.admin, "Theirs")
    client.force_login(people.member)
    response = client.post(f"{URL}read/")
    assert response.url == URL
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "Mark all" not in text_of(client.get(URL))


def test_viewers_see_and_read_their_notifications_too(client, org, people):
    note = _note(org, people.viewer, "For a viewer")
    client.force_login(people.viewer)
    assert "For a viewer" in text_of(client.get(URL))
    assert client.post(f"{URL}{note.public_id}/read/").status_code == 302


def test_reading_needs_a_post(client, org, people):
    note = _note(org, people.member, "x")
    client.force_login(people.member)
    assert client.get(f"{URL}{note.public_id}/read/").status_code == 405
    assert client.get(f"{URL}read/").status_code == 405


def test_the_bell_counts_my_unread_notifications(org, people):
    for n in range(3):
        _note(org, people.member, f"n{n}")
    Notification.objects.filter(title="n0").update(read_at="2026-01-01T00:00:00Z")
    _note(org, people.admin, "not mine")
    request = RequestFactory().get("/")
    request.user, request.org = people.member, org
    html = Template("{% load notifications %}{% notification_bell %}").render(Context({"request": request}))
    assert 'href="/o/northstar/notifications/"' in html
    assert 'data-unread="2"' in html
    assert "2 unread notifications" in html


def test_the_bell_renders_nothing_outside_an_organisation():
    request = RequestFactory().get("/")
    request.user = UserFactory.build()
    html = Template("{% load notifications %}{% notification_bell %}").render(Context({"request": request}))
    assert html.strip() == ""
