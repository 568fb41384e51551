"""What generation asks a licence (``generation.licence_checks``): may this pack start, may this
image be delivered, and the royalty once it is. Refusals name the limit that was hit."""

from __future__ import annotations

from calendar import monthrange
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from characters.models import Character
from generation.models import GenerationImage, GenerationJob
from licensing.metadata import asset_mark_licensed
from licensing.models import USES, CreatorProfile, License, LicensedPack, RoyaltyEntry
from orgs.models import Organization

USE_LABELS = dict(USES)


def period_of(moment=None) -> str:
    return (moment or timezone.now()).strftime("%Y-%m")


def used_this_month(licence: License) -> int:
    return RoyaltyEntry.objects.filter(license=licence, period=period_of()).count()


def _resets_on() -> str:
    now = timezone.now()
    days = monthrange(now.year, now.month)[1] - now.day + 1
    return (now + timedelta(days=days)).strftime("%-d %B")


def limit_refusal(licence: License, used: int) -> str:
    name = licence.profile.display_name
    return (
        f"Your licence for {name}'s likeness allows {licence.monthly_limit:,} images a month, and "
        f"{used:,} have been made this month; no more can be made until {_resets_on()}."
    )


def active_licence(org: Organization, profile: CreatorProfile) -> License | None:
    return License.objects.filter(
        org=org, profile=profile, status=License.Status.ACTIVE, ends_at__gt=timezone.now()
    ).first()


def ended_refusal(licence: License) -> str:
    """Why a licence no longer lets images be made; "" while it does."""
    name = licence.profile.display_name
    if licence.status == License.Status.REVOKED:
        return f"The licence for {name}'s likeness was revoked, so no more images can be made."
    if licence.status != License.Status.ACTIVE:
        return f"The licence for {name}'s likeness isn't active."
    if licence.ends_at and licence.ends_at <= timezone.now():
        return f"The licence for {name}'s likeness ended on {licence.ends_at:%-d %B %Y}."
    return ""


class LicenceCheck:
    def pack_refusal(self, *, org: Organization, character: Character, nsfw: bool, count: int, use: str) -> str:
        profile = CreatorProfile.objects.filter(character=character).first()
        if profile is None:
            return "That character isn't in this organisation."
        licence = active_licence(org, profile)
        if licence is None:
            return (
                f"Your organisation has no active licence for {profile.display_name}'s likeness. "
                "Request one from Creators."
            )
        if use not in licence.uses:
            allowed = ", ".join(USE_LABELS[u].lower() for u in licence.uses)
            asked = USE_LABELS.get(use, "an unnamed").lower()
            return f"Your licence for {profile.display_name} covers {allowed} use, not {asked} use."
        if nsfw and not licence.nsfw_allowed:
            return f"Your licence for {profile.display_name} doesn't allow adult content."
        if nsfw and not org.adult_content:
            return "Adult content is switched off for your organisation (Settings → Adult content)."
        used = used_this_month(licence)
        if used >= licence.monthly_limit:
            return limit_refusal(licence, used)
        return ""

    def pack_started(self, *, job: GenerationJob, use: str) -> None:
        assert job.character is not None
        profile = CreatorProfile.objects.get(character=job.character)
        licence = active_licence(job.org, profile)
        assert licence is not None  # pack_refusal just found it
        LicensedPack.objects.create(license=licence, job=job, use=use)

    def use_of(self, *, job: GenerationJob) -> str:
        pack = LicensedPack.objects.filter(job=job).first()
        return pack.use if pack else ""

    def image_refusal(self, *, job: GenerationJob) -> str:
        pack = LicensedPack.objects.filter(job=job).first()
        if pack is None:
            return "This pack has no licence for the character's likeness."
        # The licence row serialises the month's count between packs delivering at once.
        licence = License.objects.select_for_update(of=("self",)).select_related("profile").get(pk=pack.license_id)
        if refusal := ended_refusal(licence):
            return refusal
        if licence.profile.character_id is None:
            return f"{licence.profile.display_name} withdrew their character, so no more images can be made."
        used = used_this_month(licence)
        return limit_refusal(licence, used) if used >= licence.monthly_limit else ""

    def image_delivered(self, *, job: GenerationJob, image: GenerationImage, asset: Asset) -> None:
        pack = LicensedPack.objects.select_related("license__profile").get(job=job)
        licence = pack.license
        with transaction.atomic():
            RoyaltyEntry.objects.get_or_create(
                key=f"image:{image.pk}",
                defaults={
                    "license": licence,
                    "profile_id": licence.profile_id,
                    "image": image,
                    "asset": asset,
                    "amount": licence.royalty_per_image,
                    "period": period_of(),
                },
            )
            asset_mark_licensed(
                asset,
                licence_id=str(licence.public_id),
                likeness_of=licence.profile.display_name,
                use=pack.use,
                terms_version=licence.terms_version,
            )

    def recipe(self, *, job: GenerationJob) -> dict:
        pack = LicensedPack.objects.select_related("license__profile").filter(job=job).first()
        if pack is None:
            return {}
        return {
            "license": str(pack.license.public_id),
            "licensed_likeness_of": pack.license.profile.display_name,
            "license_terms_version": pack.license.terms_version,
            "license_use": pack.use,
        }
