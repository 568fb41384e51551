"""The staff dashboards: what the figures say for known events, and who may see them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from analytics import selectors
from analytics.models import Event
from core.tests.pages import text_of
from tests.more_factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/analytics/event/dashboards/"


def _event(name, user=None, org=None, ago=timedelta(hours=1), **properties):
    return Event.objects.create(name=name, user=user, org=org, at=timezone.now() - ago, properties=properties)


@pytest.fixture
def story(org):
    """Four sign-ups: three made a character, two generated, one upgraded; plus older history."""
    people = [UserFactory(email=f"p{n}@example.com") for n in range(4)]
    for person in people:
        _event("signed_up", person)
    for person in people[:3]:
        _event("character_created", person, org)
    for person in people[:2]:
        _event("generation_started", person, org)
    _event("plan_upgraded", people[0], org)
    _event("plan_upgraded", UserFactory(email="old@example.com"), org)  # signed up before the window
    for ms in (1000, 2000, 3000, 4000, 5000):
        _event("generation_image_completed", people[0], org, duration_ms=ms)
    _event("generation_failed", people[0], org, error_type="provider")
    _event("lora_training_completed", people[0], org, training_duration_ms=20 * 60_000)
    _event("lora_training_completed", people[1], org, training_duration_ms=50 * 60_000)
    _event("studio_opened", people[2], org, ago=timedelta(days=2))
    _event("studio_opened", people[2], org, ago=timedelta(days=400))  # outside every window
    return people


def test_the_funnel_follows_the_people_who_signed_up(story):
    steps = selectors.funnel(selectors.Window.last(30))

    assert [(s.label, s.people, s.of_signups) for s in steps] == [
        ("Signed up", 4, 100.0),
        ("Created a character", 3, 75.0),
        ("Started a first generation", 2, 50.0),
        ("Upgraded their plan", 1, 25.0),
    ]


def test_an_empty_window_has_no_shares_to_divide_by():
    steps = selectors.funnel(selectors.Window.last(7))

    assert [(s.people, s.of_signups) for s in steps] == [(0, None)] * 4
    assert all(n == 0 for _day, n in selectors.daily_active_users(selectors.Window.last(7)))


def test_success_rate_and_latency_by_operation(story):
    rows = {row.label: row for row in selectors.operations(selectors.Window.last(30))}

    image = rows["Studio image"]
    assert (image.succeeded, image.failed, image.success_rate) == (5, 1, 83.3)
    assert image.p50_seconds == 3.0
    assert image.p95_seconds == 4.8
    assert rows["Inpaint edit"].success_rate is None  # nothing happened: no rate, not 0 %


def test_daily_active_users_counts_people_once_a_day(story):
    days = dict(selectors.daily_active_users(selectors.Window.last(7)))

    assert days[(timezone.now() - timedelta(hours=1)).date()] == 5  # the four sign-ups and an older upgrader
    assert days[(timezone.now() - timedelta(days=2)).date()] == 1
    assert len(days) == 8


def test_lora_completion_times(story):
    lora = selectors.lora_completion_times(selectors.Window.last(30))

    assert lora.runs == 2
    assert lora.p50_minutes == 35.0
    assert dict(lora.buckets) == {"under 15 min": 0, "15–30 min": 1, "30–45 min": 0, "45–60 min": 1, "over 60 min": 0}


def test_staff_see_the_dashboards_with_charts(client, story):
    client.force_login(StaffUserFactory(email="support@personae.local"))

    response = client.get(URL + "?days=30")

    assert response.status_code == 200
    page = text_of(response)
    for words in ("Sign-up funnel", "Created a character", "75.0%", "Daily active users", "Studio image", "83.3%"):
        assert words in page
    html = response.content.decode()
    assert html.count("<svg") >= 4
    assert "Face model trainings by time to finish" in html
    assert 'href="?days=7"' in html


def test_a_bad_window_falls_back_to_the_default(client, story):
    client.force_login(StaffUserFactory(email="support@personae.local"))

    assert "last 30 days" in text_of(client.get(URL + "?days=lots"))
    assert "last 365 days" in text_of(client.get(URL + "?days=100000"))


def test_people_who_are_not_staff_cannot_see_them(client, people):
    client.force_login(people.owner)

    response = client.get(URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_the_analytics_permission_are_refused(client):
    helper = UserFactory(email="helper@personae.local", is_staff=True)
    client.force_login(helper)

    assert client.get(URL).status_code == 403

    helper.user_permissions.add(Permission.objects.get(codename="view_event", content_type__app_label="analytics"))
    assert client.get(URL).status_code == 200


def test_the_event_log_links_to_the_dashboards(client, story):
    client.force_login(StaffUserFactory(email="support@personae.local"))

    response = client.get("/admin/analytics/event/?name__exact=signed_up")

    assert response.status_code == 200
    assert URL in response.content.decode()


def test_durations_read_in_the_unit_that_suits_them():
    assert selectors.duration_label(9.84) == "9.8 s"
    assert selectors.duration_label(1920) == "32 min"
    assert selectors.duration_label(4 * 3600) == "4.0 h"
    assert selectors.duration_label(None) == "—"
