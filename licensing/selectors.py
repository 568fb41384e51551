"""Reads: the creator directory, a creator's dashboard numbers, an organisation's licences, and
what stands in the way of deleting a creator's account."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from assets import storage
from characters.models import Character
from licensing.models import CreatorProfile, License, RoyaltyEntry
from licensing.payouts import balance, cents_down
from orgs.models import Organization


def directory(*, q: str = "", use: str = "", nsfw: str = "") -> list[CreatorProfile]:
    """Listed creators: payouts confirmed by Stripe, a trained character, and listing switched on.
    Filters apply to each creator's current terms."""
    profiles = CreatorProfile.objects.filter(
        listed=True, payouts_enabled=True, character__lora_status=Character.LoraStatus.READY
    ).select_related("character", "org")
    if q:
        profiles = profiles.filter(Q(display_name__icontains=q) | Q(bio__icontains=q))
    result = []
    for profile in profiles.order_by("display_name"):
        terms = profile.current_terms()
        if terms is None or (use and use not in terms.uses):
            continue
        if (nsfw == "yes" and not terms.nsfw_allowed) or (nsfw == "no" and terms.nsfw_allowed):
            continue
        profile.terms_now = terms  # type: ignore[attr-defined]
        result.append(profile)
    return result


def listed_or_own(org: Organization, public_id) -> CreatorProfile:
    """A creator page: any listed creator, or one of the organisation's own; else 404."""
    profile = CreatorProfile.objects.select_related("character", "org").filter(public_id=public_id).first()
    if profile is None:
        raise Http404
    if profile.org_id != org.pk and profile not in directory():
        raise Http404
    return profile


def own_profile(org: Organization, public_id) -> CreatorProfile:
    return CreatorProfile.objects.for_org(org).select_related("character").filter(public_id=public_id).first() or _404()


def _404():
    raise Http404


def licence_of_licensee(org: Organization, public_id) -> License:
    return (
        License.objects.for_org(org).select_related("profile", "profile__character").filter(public_id=public_id).first()
        or _404()
    )


def licence_of_creator(org: Organization, public_id) -> License:
    return (
        License.objects.filter(profile__org=org, public_id=public_id).select_related("profile", "org").first() or _404()
    )


def licences_held(org: Organization) -> QuerySet[License]:
    return License.objects.for_org(org).select_related("profile").order_by("-created_at")


def sample_urls(profile: CreatorProfile) -> list[str]:
    urls = []
    for asset in profile.samples.all()[:6]:
        key = asset.variants.get("thumb") or asset.variants.get("preview") or ""
        if key:
            urls.append(storage.signed_url(asset.org, key))
    return urls


def licensee_months(profile: CreatorProfile) -> list[dict]:
    """Images per licensee per month, newest month first."""
    rows = (
        RoyaltyEntry.objects.filter(profile=profile)
        .values("period", "license__org__name", "license__public_id")
        .annotate(images=Count("id"))
        .order_by("-period", "license__org__name")
    )
    return [dict(row) for row in rows]


def unpaid_royalty_problems(*, org: Organization | None = None, user=None) -> list[str]:
    """Why the organisation (``org``), or the creator's account (``user``), can't be deleted yet:
    royalties owed to its creators that haven't been transferred. [] when there are none."""
    problems = []
    profiles = CreatorProfile.objects.filter(org=org) if org is not None else CreatorProfile.objects.filter(user=user)
    for profile in profiles:
        state = balance(profile)
        owed_cents = cents_down(state.accrued) - state.paid_cents
        if owed_cents > 0:
            problems.append(
                f"{profile.display_name} is still owed ${owed_cents / 100:,.2f} in licensing royalties that haven't been paid out. "
                "Deleting now would lose that money: finish payout setup on the creator dashboard and use "
                "“Pay out now” (or wait for the monthly payout), then delete."
            )
    return problems
