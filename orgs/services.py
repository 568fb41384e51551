"""Writes for organisations, memberships, invitations and join requests.

Every function is atomic and raises ``DomainError`` with a message for the person acting.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from audit import actions as audit_actions
from audit.services import record
from core.emails import email_send
from core.exceptions import DomainError, LimitReached
from orgs.models import ROLE_RANK, SEAT_ROLES, Invitation, JoinRequest, Membership, Organization, Role

if TYPE_CHECKING:
    from billing.models import Plan

RESERVED_SLUGS = {"new", "join", "admin", "api", "settings", "app", "static", "media"}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "org")[:50].strip("-") or "org"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _seats_in_use(org: Organization) -> int:
    members = org.memberships.filter(role__in=SEAT_ROLES).count()
    invited = org.invitations.filter(status=Invitation.Status.PENDING, role__in=SEAT_ROLES).count()
    return members + invited


def _check_seat_available(org: Organization, role: str) -> None:
    if role not in SEAT_ROLES:
        return
    if _seats_in_use(org) >= org.plan.seats:
        raise LimitReached(
            f"The {org.plan.name} plan includes {org.plan.seats} seat{'s' if org.plan.seats != 1 else ''} "
            "and all are taken (pending invitations count). Upgrade the plan, or add this person as a viewer — "
            "viewers don't use a seat.",
            url=reverse("orgs:billing", args=[org.slug]),
            link_text="Upgrade the plan",
        )


def _require_manager(actor: Membership) -> None:
    if not actor.can_manage_members:
        raise DomainError("Only owners and admins can manage members.")


def _owner_count(org: Organization) -> int:
    return org.memberships.filter(role=Role.OWNER).count()


def org_lock(org_id: int) -> None:
    """Serialise changes to one org's team (seat counts, the last-owner rule) behind its row lock."""
    Organization.objects.select_for_update().filter(pk=org_id).first()


def _set_last_org(user: User, org: Organization) -> None:
    User.objects.filter(pk=user.pk).update(last_org=org)
    user.last_org = org


# --- Organisations ----------------------------------------------------------------------------


@transaction.atomic
def org_create(*, user: User, name: str, plan: Plan) -> Organization:
    """Create an organisation on ``plan`` with ``user`` as its owner.

    Product code calls ``billing.services.org_create_on_default_plan``, which also grants the plan's credits.
    """
    name = name.strip()
    if not name:
        raise DomainError("Give your organisation a name.", field="name")
    for _ in range(3):
        try:
            with transaction.atomic():
                org = Organization.objects.create(
                    name=name, slug=_unique_slug(name), email=user.email, plan=plan, created_by=user
                )
            break
        except IntegrityError:  # two orgs with the same name created at once
            continue
    else:
        raise DomainError("That name is busy right now; please try again.", field="name")
    Membership.objects.create(org=org, user=user, role=Role.OWNER)
    _set_last_org(user, org)
    return org


@transaction.atomic
def org_update(*, org: Organization, actor: Membership, name: str, email: str, allow_join_requests: bool) -> None:
    _require_manager(actor)
    if email != org.email and not actor.is_owner:
        raise DomainError("Only an owner can change the billing email.", field="email")
    org.name = name.strip()
    org.email = email
    org.allow_join_requests = allow_join_requests
    org.save(update_fields=["name", "email", "allow_join_requests", "updated_at"])


@transaction.atomic
def org_select_plan(*, org: Organization, actor: Membership, plan: Plan) -> None:
    """Choose a plan. Paid plans go through checkout, so only free plans are set directly."""
    if not actor.is_owner:
        raise DomainError("Only an owner can choose the organisation's plan.")
    if not plan.is_free:
        raise DomainError(f"The {plan.name} plan is paid and needs checkout; it can't be switched on directly.")
    org_lock(org.pk)
    if (used := _seats_in_use(org)) > plan.seats:
        raise DomainError(
            f"{org.name} uses {used} seats and the {plan.name} plan includes {plan.seats}. Remove members, make "
            "them viewers or withdraw invitations first."
        )
    org.plan = plan
    org.plan_selected_at = timezone.now()
    org.save(update_fields=["plan", "plan_selected_at", "updated_at"])


@transaction.atomic
def org_adult_content_set(*, org: Organization, user: User, enabled: bool, confirmed_adult: bool = False) -> None:
    """Switch adult content on or off for ``org`` (PRODUCT.md §9). Only an owner may, and switching
    it on needs their confirmation that they are 18 or older, recorded with who and when."""
    if not org.memberships.filter(user=user, role=Role.OWNER).exists():
        raise DomainError("Only an owner of this organisation can switch adult content on or off.")
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if not enabled:
        if org.adult_content:
            org.adult_content = False
            org.save(update_fields=["adult_content", "updated_at"])
            record(
                action=audit_actions.ADULT_CONTENT_ORG_CHANGED,
                summary=f"{user.display_name} switched adult content off for {org.name}",
                org=org,
                actor=user,
                target=org,
                data={"enabled": False},
            )
        return
    if not confirmed_adult:
        raise DomainError("Confirm that you are 18 or older to switch adult content on.", field="confirmed_adult")
    org.adult_content = True
    org.adult_content_confirmed_by = user
    org.adult_content_confirmed_at = timezone.now()
    org.save(update_fields=["adult_content", "adult_content_confirmed_by", "adult_content_confirmed_at", "updated_at"])
    record(
        action=audit_actions.ADULT_CONTENT_ORG_CHANGED,
        summary=f"{user.display_name} switched adult content on for {org.name}, confirming they are 18 or older",
        org=org,
        actor=user,
        target=org,
        data={"enabled": True, "confirmed_adult": True},
    )


@transaction.atomic
def org_dataset_retention_set(*, org: Organization, actor: Membership, days: int) -> None:
    """How many days after training a character's training photos are deleted (0 keeps them)."""
    _require_manager(actor)
    if days < 0 or days > 3650:
        raise DomainError("Choose one of the listed periods.", field="days")
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if org.dataset_retention_days == days:
        return
    previous = org.dataset_retention_days
    org.dataset_retention_days = days
    org.save(update_fields=["dataset_retention_days", "updated_at"])
    record(
        action=audit_actions.DATASET_RETENTION_CHANGED,
        summary=f"{actor.user.display_name} set training photos to be deleted "
        + (f"{days} days after training" if days else "only with their character")
        + f" (was {f'{previous} days' if previous else 'never'})",
        org=org,
        actor=actor.user,
        target=org,
        data={"from": previous, "to": days},
    )


# --- Members ----------------------------------------------------------------------------------


@transaction.atomic
def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> None:
    _require_manager(actor)
    if role not in Role.values:
        raise DomainError("Choose one of the listed roles.")
    org_lock(actor.org_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return
    if (membership.role == Role.OWNER or role == Role.OWNER) and not actor.is_owner:
        raise DomainError("Only an owner can grant or take away the owner role.")
    if role == Role.ADMIN and not actor.is_owner:
        raise DomainError("Only an owner can make someone an admin.")
    if membership.role == Role.OWNER and _owner_count(membership.org) == 1:
        raise DomainError("An organisation needs at least one owner. Make someone else owner first.")
    if ROLE_RANK[Role(role)] > ROLE_RANK[Role(membership.role)] and membership.role not in SEAT_ROLES:
        _check_seat_available(membership.org, role)
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    record(
        action=audit_actions.MEMBER_ROLE_CHANGED,
        summary=f"{actor.user.display_name} changed {membership.user.email} from {Role(previous).label.lower()} "
        f"to {Role(role).label.lower()}",
        org=membership.org,
        actor=actor.user,
        target=membership.user,
        data={"email": membership.user.email, "from": previous, "to": role},
    )


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> None:
    _require_manager(actor)
    org_lock(actor.org_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.pk == actor.pk:
        raise DomainError("To remove yourself, use “Leave organisation”.")
    if membership.role == Role.OWNER and not actor.is_owner:
        raise DomainError("Only an owner can remove another owner.")
    if membership.role == Role.OWNER and _owner_count(membership.org) == 1:
        raise DomainError("An organisation needs at least one owner.")
    _clear_last_org(membership)
    record(
        action=audit_actions.MEMBER_REMOVED,
        summary=f"{actor.user.display_name} removed {membership.user.email} ({Role(membership.role).label.lower()})",
        org=membership.org,
        actor=actor.user,
        target=membership.user,
        data={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def membership_leave(*, membership: Membership) -> None:
    org_lock(membership.org_id)  # two owners leaving at once can't both succeed
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and _owner_count(membership.org) == 1:
        raise DomainError("You are the only owner. Transfer ownership to another member before leaving.")
    _clear_last_org(membership)
    record(
        action=audit_actions.MEMBER_LEFT,
        summary=f"{membership.user.email} left the organisation ({Role(membership.role).label.lower()})",
        org=membership.org,
        actor=membership.user,
        target=membership.user,
        data={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def ownership_transfer(*, actor: Membership, membership: Membership) -> None:
    """Make ``membership`` an owner and the acting owner an admin."""
    if not actor.is_owner:
        raise DomainError("Only an owner can transfer ownership.")
    if membership.pk == actor.pk:
        raise DomainError("You already own this organisation.")
    if membership.org_id != actor.org_id:
        raise DomainError("That person isn't a member of this organisation.")
    org_lock(actor.org_id)
    if membership.role not in SEAT_ROLES:  # the old owner keeps their seat as admin
        _check_seat_available(membership.org, Role.OWNER)
    Membership.objects.filter(pk=membership.pk).update(role=Role.OWNER, updated_at=timezone.now())
    Membership.objects.filter(pk=actor.pk).update(role=Role.ADMIN, updated_at=timezone.now())
    record(
        action=audit_actions.OWNERSHIP_TRANSFERRED,
        summary=f"{actor.user.display_name} made {membership.user.email} an owner and became an admin",
        org=actor.org,
        actor=actor.user,
        target=membership.user,
        data={"email": membership.user.email, "from": membership.role, "previous_owner": actor.user.email},
    )


def _clear_last_org(membership: Membership) -> None:
    User.objects.filter(pk=membership.user_id, last_org=membership.org_id).update(last_org=None)


# --- Invitations ------------------------------------------------------------------------------


def _invite_url(token: str) -> str:
    return settings.SITE_URL + reverse("orgs:invitation", args=[token])


@transaction.atomic
def invitation_create(*, actor: Membership, email: str, role: str) -> Invitation:
    """Invite ``email`` with ``role``; inviting an address with a pending invitation re-sends it."""
    _require_manager(actor)
    org = actor.org
    email = email.strip().lower()
    if role not in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        raise DomainError("Invite people as an admin, member or viewer; ownership is transferred later.", field="role")
    if role == Role.ADMIN and not actor.is_owner:
        raise DomainError("Only an owner can invite admins.", field="role")
    if org.memberships.filter(user__email__iexact=email).exists():
        raise DomainError(f"{email} is already a member of {org.name}.", field="email")
    org_lock(org.pk)
    existing = org.invitations.filter(email=email, status=Invitation.Status.PENDING).first()
    if existing:
        existing.status = Invitation.Status.REVOKED
        existing.save(update_fields=["status", "updated_at"])
    _check_seat_available(org, role)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        org=org,
        email=email,
        role=role,
        token_hash=_hash_token(token),
        invited_by=actor.user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    record(
        action=audit_actions.INVITATION_SENT,
        summary=f"{actor.user.display_name} invited {email} as {Role(role).label.lower()}",
        org=org,
        actor=actor.user,
        target=invitation,
        data={"email": email, "role": role, "resent": existing is not None},
    )
    email_send(
        prefix="invitation",
        to=[email],
        context={"invitation": invitation, "org": org, "inviter": actor.user, "url": _invite_url(token)},
    )
    return invitation


@transaction.atomic
def invitation_resend(*, actor: Membership, invitation: Invitation) -> Invitation:
    if invitation.status not in (Invitation.Status.PENDING, Invitation.Status.EXPIRED):
        raise DomainError("This invitation was already used or revoked; send a new one.")
    return invitation_create(actor=actor, email=invitation.email, role=invitation.role)


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> None:
    _require_manager(actor)
    updated = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.REVOKED, updated_at=timezone.now()
    )
    if not updated:
        raise DomainError("This invitation is no longer pending.")
    record(
        action=audit_actions.INVITATION_REVOKED,
        summary=f"{actor.user.display_name} withdrew the invitation for {invitation.email}",
        org=actor.org,
        actor=actor.user,
        target=invitation,
        data={"email": invitation.email, "role": invitation.role},
    )


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("org", "invited_by").filter(token_hash=_hash_token(token)).first()


def invitation_problem(invitation: Invitation | None, user: User | None = None) -> str | None:
    """Why this invitation can't be accepted (by ``user``), in words for them; None if it can."""
    if invitation is None:
        return "This invitation link isn't valid. Check that you copied the whole link, or ask for a new invitation."
    if invitation.status == Invitation.Status.ACCEPTED:
        return "This invitation has already been accepted."
    if invitation.status == Invitation.Status.REVOKED:
        return "This invitation was withdrawn. Ask the person who invited you for a new one."
    if invitation.status == Invitation.Status.EXPIRED or invitation.expires_at <= timezone.now():
        inviter = invitation.invited_by.display_name if invitation.invited_by else "an admin"
        return f"This invitation has expired. Ask {inviter} to send a new one."
    if user is not None and user.email.lower() != invitation.email.lower():
        return (
            f"This invitation was sent to {invitation.email}, but you're signed in as {user.email}. "
            "Sign out and sign in (or sign up) with the invited address."
        )
    return None


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = invitation_for_token(token)
    if invitation is not None:
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("org", "invited_by").get(pk=invitation.pk)
        )
    if problem := invitation_problem(invitation, user):
        raise DomainError(problem)
    assert invitation is not None
    org = invitation.org
    if org.memberships.filter(user=user).exists():
        raise DomainError(f"You're already a member of {org.name}.")
    membership = Membership.objects.create(org=org, user=user, role=invitation.role)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    record(
        action=audit_actions.INVITATION_ACCEPTED,
        summary=f"{user.email} accepted the invitation and joined as {Role(invitation.role).label.lower()}",
        org=org,
        actor=user,
        target=invitation,
        data={"email": user.email, "role": invitation.role},
    )
    JoinRequest.objects.filter(org=org, user=user, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.APPROVED, decided_at=timezone.now(), role=invitation.role
    )
    _set_last_org(user, org)
    return membership


# --- Join requests ----------------------------------------------------------------------------

ORG_ID_NOT_FOUND = (
    "No organisation with that ID is accepting join requests. Check the ID with its admin — "
    "it's on their Settings page."
)


@transaction.atomic
def join_request_create(*, user: User, org_id: str, message: str = "") -> JoinRequest:
    """Ask to join the org with public ID ``org_id``.

    A missing org and one that doesn't take requests get the same answer, so IDs can't be probed.
    """
    try:
        public_id = uuid.UUID(org_id.strip())
    except ValueError:
        raise DomainError(
            "An organisation ID looks like 3f2b8c1e-… (36 characters). Paste it exactly.", field="org_id"
        ) from None
    org = Organization.objects.filter(public_id=public_id, allow_join_requests=True).first()
    if org is None:
        raise DomainError(ORG_ID_NOT_FOUND, field="org_id")
    if org.memberships.filter(user=user).exists():
        raise DomainError(f"You're already a member of {org.name}.", field="org_id")
    if org.join_requests.filter(user=user, status=JoinRequest.Status.PENDING).exists():
        raise DomainError(f"You've already asked to join {org.name}; an admin will review it.", field="org_id")
    join_request = JoinRequest.objects.create(org=org, user=user, message=message.strip()[:300])
    admins = [m.user.email for m in org.memberships.select_related("user").filter(role__in=[Role.OWNER, Role.ADMIN])]
    email_send(
        prefix="join_request_received",
        to=admins,
        context={
            "org": org,
            "join_request": join_request,
            "requester": user,
            "url": settings.SITE_URL + reverse("orgs:members", args=[org.slug]),
        },
    )
    return join_request


@transaction.atomic
def join_request_cancel(*, user: User, join_request: JoinRequest) -> None:
    JoinRequest.objects.filter(pk=join_request.pk, user=user, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.CANCELLED, decided_at=timezone.now()
    )


def _decided_message(join_request: JoinRequest) -> str:
    join_request.refresh_from_db()
    who = join_request.decided_by.display_name if join_request.decided_by else "someone"
    if join_request.status == JoinRequest.Status.APPROVED:
        return f"This request was already approved by {who}."
    if join_request.status == JoinRequest.Status.DECLINED:
        return f"This request was already declined by {who}."
    return f"This request is {join_request.get_status_display().lower()}, so there is nothing to decide."


@transaction.atomic
def join_request_approve(*, actor: Membership, join_request: JoinRequest, role: str = Role.MEMBER) -> Membership:
    _require_manager(actor)
    if role not in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        raise DomainError("Choose admin, member or viewer.")
    if role == Role.ADMIN and not actor.is_owner:
        raise DomainError("Only an owner can grant the admin role.")
    org_lock(actor.org_id)
    if join_request.status == JoinRequest.Status.PENDING:
        _check_seat_available(actor.org, role)
    updated = JoinRequest.objects.filter(pk=join_request.pk, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.APPROVED, decided_by=actor.user, decided_at=timezone.now(), role=role
    )
    if not updated:
        raise DomainError(_decided_message(join_request))
    membership, _ = Membership.objects.get_or_create(org=actor.org, user=join_request.user, defaults={"role": role})
    record(
        action=audit_actions.JOIN_REQUEST_APPROVED,
        summary=f"{actor.user.display_name} approved {join_request.user.email}'s request to join, as "
        f"{Role(role).label.lower()}",
        org=actor.org,
        actor=actor.user,
        target=join_request,
        data={"email": join_request.user.email, "role": role},
    )
    email_send(
        prefix="join_request_approved",
        to=[join_request.user.email],
        context={
            "org": actor.org,
            "role": membership.get_role_display(),
            "url": settings.SITE_URL + reverse("orgs:dashboard", args=[actor.org.slug]),
        },
    )
    return membership


@transaction.atomic
def join_request_decline(*, actor: Membership, join_request: JoinRequest) -> None:
    _require_manager(actor)
    updated = JoinRequest.objects.filter(pk=join_request.pk, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.DECLINED, decided_by=actor.user, decided_at=timezone.now()
    )
    if not updated:
        raise DomainError(_decided_message(join_request))
    record(
        action=audit_actions.JOIN_REQUEST_DECLINED,
        summary=f"{actor.user.display_name} declined {join_request.user.email}'s request to join",
        org=actor.org,
        actor=actor.user,
        target=join_request,
        data={"email": join_request.user.email},
    )


# --- Housekeeping -----------------------------------------------------------------------------


@transaction.atomic
def expire_stale_invitations_and_requests(*, now=None) -> tuple[int, int]:
    """Mark invitations past their expiry and join requests older than the TTL as expired."""
    now = now or timezone.now()
    invitations = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED, updated_at=now
    )
    cutoff = now - timedelta(days=settings.JOIN_REQUEST_TTL_DAYS)
    requests = JoinRequest.objects.filter(status=JoinRequest.Status.PENDING, created_at__lte=cutoff).update(
        status=JoinRequest.Status.EXPIRED, decided_at=now, updated_at=now
    )
    return invitations, requests
