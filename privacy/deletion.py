"""Deleting an organisation (with a grace period and undo) and deleting a person's account.

An owner schedules the deletion by typing the organisation's name. For ``ORG_DELETION_GRACE_DAYS``
the organisation is read-only (``orgs.decorators.org_view``, ``jobs.engine``) and any owner can
undo it; then beat runs ``org_delete``: the Stripe subscription is cancelled, every stored file
(library, training photos, face models, exports) is removed, and the rows go. What is kept, and
for how long, is on the privacy page: the audit log (with the record of this deletion) until its
retention ends, and the invoices Stripe holds for us.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import User
from assets import storage
from audit import actions as audit_actions
from audit.services import record
from billing.checkout import subscription_cancel_now
from billing.services import credit_account_lock
from core.emails import email_send
from core.exceptions import DomainError
from jobs.engine import job_models
from licensing.selectors import unpaid_royalty_problems
from orgs.models import Membership, Organization, Role
from orgs.services import org_lock
from privacy import selectors
from privacy.exports import refuse_while_jobs_run
from providers.gateway import call_cancel
from providers.models import ProviderCall

log = logging.getLogger(__name__)


def day(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "j F Y, H:i")


def _owner_emails(org: Organization) -> list[str]:
    return list(org.memberships.filter(role=Role.OWNER).values_list("user__email", flat=True))


@transaction.atomic
def org_deletion_schedule(*, actor: Membership, confirm_name: str) -> Organization:
    """Schedule the actor's organisation for deletion in ``ORG_DELETION_GRACE_DAYS``. Only an owner
    may, typing the organisation's name exactly; refused while jobs run (they finish or are
    cancelled first). Scheduling it again changes nothing and sends nothing."""
    if not actor.is_owner:
        raise DomainError("Only an owner can delete the organisation.")
    org_lock(actor.org_id)
    org = Organization.objects.get(pk=actor.org_id)
    if org.deletion_due_at:
        return org
    if confirm_name.strip() != org.name:
        raise DomainError(f"Type the organisation's name, {org.name}, exactly as shown.", field="confirm_name")
    credit_account_lock(org)  # no job can start between the check and the flag (jobs.engine)
    refuse_while_jobs_run(org, "delete the organisation")
    if unpaid := unpaid_royalty_problems(org=org):
        raise DomainError(" ".join(unpaid))
    now = timezone.now()
    org.deletion_requested_at = now
    org.deletion_requested_by = actor.user
    org.deletion_due_at = now + timedelta(days=settings.ORG_DELETION_GRACE_DAYS)
    org.save(update_fields=["deletion_requested_at", "deletion_requested_by", "deletion_due_at", "updated_at"])
    record(
        action=audit_actions.ORG_DELETION_SCHEDULED,
        summary=f"{actor.user.display_name} scheduled {org.name} for deletion on {day(org.deletion_due_at)}",
        org=org,
        actor=actor.user,
        target=org,
        data={"due_at": org.deletion_due_at},
    )
    email_send(
        prefix="org_deletion_scheduled",
        to=_owner_emails(org),
        context={
            "org": org,
            "by": actor.user,
            "due": org.deletion_due_at,
            "url": settings.SITE_URL + reverse("orgs:privacy", args=[org.slug]),
        },
    )
    return org


@transaction.atomic
def org_deletion_undo(*, actor: Membership) -> Organization:
    """Cancel a scheduled deletion. Only an owner may, and only before the grace period ends."""
    if not actor.is_owner:
        raise DomainError("Only an owner can undo the deletion.")
    org_lock(actor.org_id)
    org = Organization.objects.get(pk=actor.org_id)
    if org.deletion_due_at is None:
        raise DomainError(f"{org.name} isn't scheduled for deletion, so there is nothing to undo.")
    if org.deletion_due_at <= timezone.now():
        raise DomainError(
            f"The grace period ended on {day(org.deletion_due_at)}. {org.name} is being deleted and can't be restored."
        )
    due = org.deletion_due_at
    org.deletion_due_at = org.deletion_requested_at = org.deletion_requested_by = None
    org.save(update_fields=["deletion_requested_at", "deletion_requested_by", "deletion_due_at", "updated_at"])
    record(
        action=audit_actions.ORG_DELETION_CANCELLED,
        summary=f"{actor.user.display_name} undid the deletion of {org.name} planned for {day(due)}",
        org=org,
        actor=actor.user,
        target=org,
    )
    return org


def org_delete(*, org_id: int, now=None) -> bool:
    """Beat: delete an organisation whose grace period is over. Idempotent: an organisation
    already gone, restored, or not yet due is left alone (False).

    The subscription is cancelled first; if Stripe fails the organisation stays and beat tries
    again, so nobody is billed for an organisation that no longer exists."""
    now = now or timezone.now()
    org = Organization.objects.filter(pk=org_id, deletion_due_at__lte=now).first()
    if org is None:
        return False
    subscription_cancel_now(org)
    with transaction.atomic():
        org = Organization.objects.select_for_update().filter(pk=org_id, deletion_due_at__lte=now).first()
        if org is None:  # undone (or deleted) meanwhile
            return False
        members = list(org.memberships.select_related("user"))
        owners = [m.user.email for m in members if m.role == Role.OWNER]
        # Nothing should be running (scheduling waited for that, and nothing could start since);
        # a call that is stops at the provider, and its row (kept by providers) loses the org.
        for call in ProviderCall.objects.filter(org=org, status__in=ProviderCall.ACTIVE):
            call_cancel(call, reason=f"{org.name} was deleted.")
        ProviderCall.objects.filter(org=org).exclude(status__in=ProviderCall.ACTIVE).delete()
        record(
            action=audit_actions.ORG_DELETED,
            summary=f"{org.name} and all its data were deleted after the grace period",
            org=org,
            system=True,
            target=org,
            data={
                "slug": org.slug,
                "requested_by": org.deletion_requested_by.email if org.deletion_requested_by else "",
                "requested_at": org.deletion_requested_at,
                "due_at": org.deletion_due_at,
                "member_ids": [m.user_id for m in members],
            },
        )
        prefix = storage.org_prefix(org)
        name, slug = org.name, org.slug
        # Jobs first: they PROTECT their credit holds, which go with the organisation.
        for model in job_models():
            model._default_manager.filter(org=org).delete()
        org.delete()
        email_send(prefix="org_deleted", to=owners, context={"org_name": name, "when": now})
        transaction.on_commit(lambda: _files_delete(prefix, slug))
    return True


def _files_delete(prefix: str, slug: str) -> None:
    deleted = storage.delete_tree(prefix)
    log.info("Deleted organisation %s: %s stored files removed", slug, deleted)


def org_deletions_due(*, now=None) -> int:
    """Beat: delete every organisation whose grace period has ended; returns how many went."""
    now = now or timezone.now()
    deleted = 0
    for org_id in Organization.objects.filter(deletion_due_at__lte=now).values_list("pk", flat=True):
        try:
            deleted += org_delete(org_id=org_id, now=now)
        except Exception:  # one organisation's failure (Stripe down) doesn't hold up the others
            log.exception("Deleting organisation %s failed; it will be tried again", org_id)
    return deleted


# --- Accounts -----------------------------------------------------------------------------------


def account_deletion_problems(user: User) -> list[str]:
    """Why ``user`` can't delete their account yet, in words for them; [] if they can."""
    problems = unpaid_royalty_problems(user=user)  # the creator whose likeness earned them
    for sole in selectors.sole_ownerships(user):
        if sole.other_members:
            problems.append(
                f"You are the only owner of {sole.org.name}. Make another member an owner on its Members page "
                "(or delete the organisation) first."
            )
        else:
            problems.append(
                f"You are the only member of {sole.org.name}. Delete the organisation in its Settings → "
                "Data & privacy first (you can export its data there too)."
            )
    return problems


def account_delete(*, user: User, password: str, request: HttpRequest | None = None) -> None:
    """Delete ``user``'s account after checking their password: their memberships, notifications,
    questionnaire answers and email addresses go with it. What they made stays with their
    organisations, without their name; consent records keep the email they were given with."""
    if not user.check_password(password):
        raise DomainError("That isn't your password.", field="password")
    if problems := account_deletion_problems(user):
        raise DomainError(" ".join(problems))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if problems := account_deletion_problems(user):  # an ownership changed meanwhile
            raise DomainError(" ".join(problems))
        for membership in user.memberships.select_related("org"):
            record(
                action=audit_actions.ACCOUNT_DELETED,
                summary=f"{user.email} deleted their account and left {membership.org.name} "
                f"({Role(membership.role).label.lower()})",
                org=membership.org,
                actor=user,
                target=user,
                data={"email": user.email, "role": membership.role},
            )
        if not user.memberships.exists():
            record(action=audit_actions.ACCOUNT_DELETED, summary=f"{user.email} deleted their account", actor=user)
        user.delete()
    if request is not None:
        logout(request)
