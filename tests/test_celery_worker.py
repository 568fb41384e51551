"""A real Celery worker on the real (embedded) Redis: tasks travel through the broker, run in the
worker, and see committed rows — the things eager mode hides."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app
from core.emails import email_send
from core.mail import stored_mail_list
from orgs.models import Invitation, JoinRequest
from orgs.tasks import expire_stale_invitations_and_requests
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.in_process_worker import in_process_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_worker(django_db_blocker, settings):
    settings.EMAIL_BACKEND = "core.mail.DevMailboxBackend"
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with django_db_blocker.unblock(), in_process_worker(app):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_broker_is_the_real_redis():
    assert settings.CELERY_BROKER_URL.startswith(("redis://", "redis+socket://", "rediss://"))


def test_it_sends_queued_email_from_the_worker_after_commit(live_worker):
    user = UserFactory(email="grace@example.com")
    email_send(prefix="welcome", to=[user.email], context={"user": user, "org": None, "url": "http://x/"})
    # Outside a transaction, on_commit runs at once: the task is on the `email` queue in Redis.
    assert wait_for(lambda: any(m.to == "grace@example.com" for m in stored_mail_list()))
    time.sleep(1)  # a duplicate delivery would arrive by now
    [mail] = [m for m in stored_mail_list() if m.to == "grace@example.com"]
    assert mail.subject.startswith("Welcome to Personae")
    assert "<html" in mail.html
    assert "Open your dashboard" in mail.text


def test_the_worker_expires_stale_invitations_and_join_requests(live_worker):
    org = OrganizationFactory()
    inviter = MembershipFactory(org=org, role="owner").user
    stale = Invitation.objects.create(
        org=org,
        email="late@example.com",
        token_hash="a" * 64,
        invited_by=inviter,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    fresh = Invitation.objects.create(
        org=org,
        email="soon@example.com",
        token_hash="b" * 64,
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=1),
    )
    old_request = JoinRequest.objects.create(org=org, user=UserFactory())
    JoinRequest.objects.filter(pk=old_request.pk).update(
        created_at=timezone.now() - timedelta(days=settings.JOIN_REQUEST_TTL_DAYS + 1)
    )
    new_request = JoinRequest.objects.create(org=org, user=UserFactory())

    expire_stale_invitations_and_requests.delay()

    assert wait_for(lambda: Invitation.objects.get(pk=stale.pk).status == Invitation.Status.EXPIRED)
    assert wait_for(lambda: JoinRequest.objects.get(pk=old_request.pk).status == JoinRequest.Status.EXPIRED)
    assert Invitation.objects.get(pk=fresh.pk).status == Invitation.Status.PENDING
    assert JoinRequest.objects.get(pk=new_request.pk).status == JoinRequest.Status.PENDING


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled
    assert scheduled <= set(app.tasks)


def test_every_task_route_names_a_registered_task():
    app.loader.import_default_modules()
    routed = set(app.conf.task_routes)
    assert routed
    assert routed <= set(app.tasks)


def test_emails_travel_on_the_email_queue_only():
    route = app.amqp.router.route({}, "core.tasks.send_email")
    assert route["queue"].name == "email"
    assert route["queue"].routing_key == "email"
    assert {q.routing_key for q in app.amqp.queues.values()} == {q.name for q in app.amqp.queues.values()}
