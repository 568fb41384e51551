from datetime import timedelta

from django.utils import timezone

from orgs import services
from orgs.models import Invitation, JoinRequest
from orgs.tasks import expire_stale_invitations_and_requests
from tests.more_factories import InvitationFactory, JoinRequestFactory


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def test_it_expires_only_pending_invitations_past_their_expiry(org):
    overdue = InvitationFactory(org=org, expires_at=_ago(minutes=1))
    current = InvitationFactory(org=org, expires_at=timezone.now() + timedelta(days=1))
    accepted = InvitationFactory(org=org, expires_at=_ago(days=1), status=Invitation.Status.ACCEPTED)
    revoked = InvitationFactory(org=org, expires_at=_ago(days=1), status=Invitation.Status.REVOKED)

    assert services.expire_stale_invitations_and_requests() == (1, 0)

    statuses = {i.pk: i.status for i in Invitation.objects.all()}
    assert statuses == {
        overdue.pk: Invitation.Status.EXPIRED,
        current.pk: Invitation.Status.PENDING,
        accepted.pk: Invitation.Status.ACCEPTED,
        revoked.pk: Invitation.Status.REVOKED,
    }


def test_it_expires_only_pending_join_requests_older_than_the_ttl(org, settings):
    settings.JOIN_REQUEST_TTL_DAYS = 30
    old = JoinRequestFactory(org=org)
    recent = JoinRequestFactory(org=org)
    old_declined = JoinRequestFactory(org=org, status=JoinRequest.Status.DECLINED)
    JoinRequest.objects.filter(pk__in=[old.pk, old_declined.pk]).update(created_at=_ago(days=31))
    JoinRequest.objects.filter(pk=recent.pk).update(created_at=_ago(days=29))

    assert services.expire_stale_invitations_and_requests() == (0, 1)

    old.refresh_from_db()
    recent.refresh_from_db()
    old_declined.refresh_from_db()
    assert old.status == JoinRequest.Status.EXPIRED
    assert old.decided_at is not None
    assert recent.status == JoinRequest.Status.PENDING
    assert old_declined.status == JoinRequest.Status.DECLINED


def test_it_changes_nothing_when_run_again(org):
    InvitationFactory(org=org, expires_at=_ago(minutes=1))

    assert services.expire_stale_invitations_and_requests() == (1, 0)
    assert services.expire_stale_invitations_and_requests() == (0, 0)


def test_the_hourly_task_reports_what_it_expired(org):
    InvitationFactory(org=org, expires_at=_ago(minutes=1))

    assert expire_stale_invitations_and_requests.delay().get() == {"invitations": 1, "join_requests": 0}
