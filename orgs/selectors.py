from django.db.models import Count, Q, QuerySet
from django.utils import dateformat, timezone

from accounts.models import User
from orgs.models import SEAT_ROLES, Invitation, JoinRequest, Membership, Organization


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("org").order_by("org__name")


def membership_for(user: User, org_slug: str) -> Membership | None:
    """The user's membership of the org with this slug, with the org and its plan: how a page
    (``org_view``) and the API resolve the caller's org. None when there is no such org or they
    aren't a member; callers answer both with the same 404."""
    return (
        Membership.objects.select_related("org", "org__plan", "user")
        .filter(org__slug=org_slug, user_id=user.pk)
        .first()
    )


def pending_deletion_message(org: Organization) -> str:
    """Why nothing can change in an organisation scheduled for deletion, and how to undo it."""
    day = dateformat.format(timezone.localtime(org.deletion_due_at), "j F Y") if org.deletion_due_at else "soon"
    return (
        f"{org.name} is scheduled for deletion on {day}, so nothing in it can change. "
        "An owner can undo the deletion in Settings → Data & privacy."
    )


def members_for_org(org: Organization) -> QuerySet[Membership]:
    return org.memberships.select_related("user").order_by("user__email")


def pending_invitations_for_org(org: Organization) -> QuerySet[Invitation]:
    return org.invitations.filter(status=Invitation.Status.PENDING).select_related("invited_by")


def pending_join_requests_for_org(org: Organization) -> QuerySet[JoinRequest]:
    return org.join_requests.filter(status=JoinRequest.Status.PENDING).select_related("user")


def pending_join_requests_for_user(user: User) -> QuerySet[JoinRequest]:
    return user.join_requests.filter(status=JoinRequest.Status.PENDING).select_related("org")


def membership_get(org: Organization, public_id) -> Membership | None:
    return org.memberships.select_related("user").filter(public_id=public_id).first()


def invitation_get(org: Organization, public_id) -> Invitation | None:
    return org.invitations.filter(public_id=public_id).first()


def join_request_get(org: Organization, public_id) -> JoinRequest | None:
    return org.join_requests.select_related("user").filter(public_id=public_id).first()


def seat_usage(org: Organization) -> dict:
    counts = org.memberships.aggregate(seats=Count("pk", filter=Q(role__in=SEAT_ROLES)))
    invited = org.invitations.filter(status=Invitation.Status.PENDING, role__in=SEAT_ROLES).count()
    return {"used": counts["seats"] + invited, "total": org.plan.seats}


def getting_started_steps(org: Organization) -> list[dict]:
    """The dashboard checklist. Steps are done when the thing they ask for exists and works: a
    character counts once it has a face to generate from (a chosen base image or a trained face
    model), not while it is only a name. Each step has a ``guide``: what to do, for the first-run
    guide that shows the next step."""
    from django.db.models import Q
    from django.urls import reverse

    team_done = org.memberships.count() > 1 or org.invitations.exists()
    return [
        {
            "title": "Create your workspace",
            "text": f"{org.name} is ready. Its ID is on the Settings page.",
            "done": True,
            "url": reverse("orgs:settings", args=[org.slug]),
            "cta": "Settings",
            "guide": "",
        },
        {
            "title": "Create your first character",
            "text": "Train a face model from 20–30 photos, or design one with the wizard.",
            "done": org.characters.filter(Q(base_image__isnull=False) | Q(lora_status="ready")).exists(),
            "url": reverse("characters:list", args=[org.slug]),
            "cta": "Characters",
            "guide": (
                "Open Characters and choose a way in. The wizard needs no photos: pick the look, choose one "
                "of four faces and the character works at once. From photos, drop 20–30 pictures of one "
                "adult and run the dataset check before training."
            ),
        },
        {
            "title": "Generate an image pack",
            "text": "Pick a scene, an environment and an outfit; get 5 on-model images.",
            "done": org.generation_jobs.filter(status="succeeded").exists(),
            "url": reverse("generation:studio_home", args=[org.slug]),
            "cta": "Studio",
            "guide": (
                "In the Studio, pick your character, a scene, an environment and an outfit. The cost is on "
                "the Generate button; the images fill in as they arrive, each with a likeness score."
            ),
        },
        {
            "title": "Fill your library",
            "text": "Upload photos and videos; everything you make lands here too, searchable.",
            "done": org.assets.exists(),
            "url": reverse("assets:library", args=[org.slug]),
            "cta": "Library",
            "guide": (
                "Drop photos and videos onto the library, or keep the images you generate: everything lands "
                "there with its recipe, ready to tag, collect, edit or turn into a video."
            ),
        },
        {
            "title": "Invite your team",
            "text": "Add teammates as admins, members or viewers.",
            "done": team_done,
            "url": reverse("orgs:members", args=[org.slug]),
            "cta": "Members",
            "guide": "On Members, invite people by email as admins, members or viewers. Viewers don't take a seat.",
        },
        {
            "title": "Choose your plan",
            "text": "More credits, characters, storage and seats when you need them.",
            # Chosen on the plan page (even Free), or bought: onboarding's pick sets plan_selected_at.
            "done": org.plan_selected_at is not None or not org.plan.is_default,
            "url": reverse("orgs:billing", args=[org.slug]),
            "cta": "Billing",
            "guide": "On Billing, stay on Free or pick a paid plan for more credits, characters, storage and seats.",
        },
    ]
