"""Becoming a creator, terms, Stripe Connect onboarding and licences (issue #22). Writes only;
payouts are in ``licensing.payouts``, the checks generation asks for in ``licensing.checker``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import stripe
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assets.models import Asset
from audit.services import record
from billing import stripe_setup
from characters.models import Character, Consent
from core.exceptions import DomainError
from core.jobs import ACTIVE
from generation.models import GenerationJob
from generation.packs import pack_stop
from licensing.models import USE_KEYS, CreatorProfile, CreatorTerms, License
from orgs.models import Organization

log = logging.getLogger(__name__)

MIN_PHOTOS, MAX_PHOTOS = 5, 15
MAX_ROYALTY = Decimal("100")

CONSENT_VERSION = "creator-2026-12"
# Each clause is a checkbox on the form; the whole text is recorded with its version.
CONSENT_CLAUSES = {
    "image_ownership": (
        "Image ownership: the training photos are of me, and I own them or have the right to use them."
    ),
    "licensing_rights": (
        "Licensing rights: I let Personae offer images of my likeness to other organisations under the terms I "
        "set, and I can revoke a licence at any time for new images."
    ),
    "commercial_use": (
        "Commercial use: images made under a licence may be used for the uses my terms allow (personal, "
        "commercial, advertising), in the territories and for the length of time they name."
    ),
    "content_responsibility": (
        "Content responsibility: licensees answer for what they make, within Personae's acceptable-use policy; "
        "images are always of an adult, and adult content only if my terms allow it."
    ),
}
CONSENT_TEXT = "\n".join(CONSENT_CLAUSES.values())

AUDIT_CREATOR = "licensing.creator_created"
AUDIT_TERMS = "licensing.terms_changed"
AUDIT_LICENCE = "licensing.licence_changed"


@dataclass
class TermsInput:
    royalty_per_image: Decimal | str
    uses: list[str]
    nsfw_allowed: bool
    monthly_limit: int
    exclusive: bool
    territories: str
    length_days: int


def creator_problems(character: Character) -> list[str]:
    """Why ``character`` can't be offered for licensing; [] if it can."""
    problems = []
    if character.origin != Character.Origin.PHOTOS:
        problems.append(
            f"{character.name} was made in the wizard; only a character trained from your own photos can be licensed."
        )
    photos = character.dataset.count()
    if not MIN_PHOTOS <= photos <= MAX_PHOTOS:
        problems.append(
            f"{character.name} has {photos} training photo{'s' if photos != 1 else ''}; a creator's likeness needs "
            f"{MIN_PHOTOS} to {MAX_PHOTOS} (add or remove photos on its dataset page)."
        )
    if not Consent.objects.filter(character=character).exists():
        problems.append(f"{character.name} has no consent record yet: give it on the dataset page first.")
    if CreatorProfile.objects.filter(character=character).exists():
        problems.append(f"{character.name} is already offered for licensing.")
    return problems


def _terms_clean(terms: TermsInput) -> dict:
    try:
        royalty = Decimal(str(terms.royalty_per_image)).quantize(Decimal("0.0001"))
    except InvalidOperation:
        raise DomainError("Write the royalty as an amount in dollars, like 0.25.", field="royalty_per_image") from None
    if not Decimal(0) <= royalty <= MAX_ROYALTY:
        raise DomainError(f"A royalty is between $0 and ${MAX_ROYALTY} per image.", field="royalty_per_image")
    uses = [u for u in USE_KEYS if u in terms.uses]
    if not uses:
        raise DomainError("Allow at least one use: personal, commercial or advertising.", field="uses")
    if not 1 <= terms.monthly_limit <= 100_000:
        raise DomainError("The monthly limit is between 1 and 100,000 images.", field="monthly_limit")
    if not 1 <= terms.length_days <= 3650:
        raise DomainError("A licence lasts between 1 day and 10 years (3,650 days).", field="length_days")
    return {
        "royalty_per_image": royalty,
        "uses": uses,
        "nsfw_allowed": terms.nsfw_allowed,
        "monthly_limit": terms.monthly_limit,
        "exclusive": terms.exclusive,
        "territories": terms.territories.strip() or "Worldwide",
        "length_days": terms.length_days,
    }


@transaction.atomic
def creator_create(
    *,
    org: Organization,
    user: User,
    character: Character,
    display_name: str,
    bio: str,
    consents: dict[str, bool],
    terms: TermsInput,
    samples: list[Asset] | None = None,
) -> CreatorProfile:
    """Offer ``character`` (trained from the user's own photos) for licensing, recording the full
    consent with its text version and the first version of the terms."""
    character = Character.objects.select_for_update(of=("self",)).get(pk=character.pk, org=org)
    if missing := [k for k in CONSENT_CLAUSES if not consents.get(k)]:
        raise DomainError(
            "Tick every part of the consent: " + ", ".join(k.replace("_", " ") for k in missing) + ".",
            field="consent",
        )
    if problems := creator_problems(character):
        raise DomainError(" ".join(problems), field="character")
    if not display_name.strip():
        raise DomainError("Give the name licensees will see.", field="display_name")
    clean = _terms_clean(terms)
    if clean["nsfw_allowed"] and not Consent.objects.filter(character=character, covers_adult_content=True).exists():
        raise DomainError(
            f"{character.name}'s consent record doesn't cover adult content, so the terms can't allow it.",
            field="nsfw_allowed",
        )
    profile = CreatorProfile.objects.create(
        org=org,
        character=character,
        user=user,
        display_name=display_name.strip(),
        bio=bio.strip(),
        consent_version=CONSENT_VERSION,
        consent_text=CONSENT_TEXT,
        consent_email=user.email,
        consented_at=timezone.now(),
    )
    if samples:
        samples_set(profile=profile, samples=samples)
    CreatorTerms.objects.create(profile=profile, version=1, **clean)
    record(
        action=AUDIT_CREATOR,
        summary=f"{user.display_name} offered {character.name} for likeness licensing",
        org=org,
        actor=user,
        target=profile,
        data={"consent_version": CONSENT_VERSION},
    )
    return profile


def samples_set(*, profile: CreatorProfile, samples: list[Asset]) -> None:
    """Public samples: only images the creator's organisation generated of this character."""
    for asset in samples:
        if asset.org_id != profile.org_id or asset.source != Asset.Source.GENERATED or asset.kind != Asset.Kind.IMAGE:
            raise DomainError("Samples must be images generated in your own library.", field="samples")
        if asset.nsfw:
            raise DomainError("Public samples can't be adult content.", field="samples")
    profile.samples.set(samples)


@transaction.atomic
def terms_change(*, profile: CreatorProfile, user: User, terms: TermsInput) -> CreatorTerms:
    """A new version of the terms, for licences granted from now on; existing licences keep theirs."""
    profile = CreatorProfile.objects.select_for_update().get(pk=profile.pk)
    clean = _terms_clean(terms)
    current = profile.current_terms()
    if current and all(getattr(current, k) == v for k, v in clean.items()):
        return current
    created = CreatorTerms.objects.create(profile=profile, version=(current.version if current else 0) + 1, **clean)
    record(
        action=AUDIT_TERMS,
        summary=f"{user.display_name} changed the licensing terms of {profile.display_name} (v{created.version})",
        org=profile.org,
        actor=user,
        target=profile,
        data=created.snapshot() | {"royalty_per_image": str(created.royalty_per_image)},
    )
    return created


def listing_problems(profile: CreatorProfile) -> list[str]:
    """Why the profile isn't in the directory; [] when it is."""
    problems = []
    if not profile.payouts_enabled:
        problems.append("Stripe hasn't confirmed your payout account yet.")
    if profile.character is None:
        problems.append("Your character was deleted: licensees can't make images any more.")
    elif profile.character.lora_status != Character.LoraStatus.READY:
        problems.append("Your character isn't trained yet.")
    if not profile.listed:
        problems.append("You chose not to be listed.")
    return problems


# --- Stripe Connect ----------------------------------------------------------------------------


def connect_link(*, profile: CreatorProfile, return_url: str, refresh_url: str) -> str:
    """The Stripe-hosted onboarding page for the creator's Express account (made the first time)."""
    options = stripe_setup.api_options()
    if not profile.stripe_account_id:
        account = stripe.Account.create(
            type="express",
            email=profile.consent_email,
            capabilities={"transfers": {"requested": True}},
            metadata={"personae_creator": str(profile.public_id)},
            idempotency_key=f"licensing-account:{profile.public_id}",
            **options,
        )
        CreatorProfile.objects.filter(pk=profile.pk, stripe_account_id="").update(stripe_account_id=account.id)
        profile.refresh_from_db(fields=["stripe_account_id"])
    link = stripe.AccountLink.create(
        account=profile.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        type="account_onboarding",
        **options,
    )
    return link.url


def connect_account_updated(account: dict) -> None:
    """Stripe's ``account.updated``: payouts (and listing) follow the transfers capability."""
    enabled = (account.get("capabilities") or {}).get("transfers") == "active"
    CreatorProfile.objects.filter(stripe_account_id=account.get("id") or "-").exclude(payouts_enabled=enabled).update(
        payouts_enabled=enabled, updated_at=timezone.now()
    )


# --- Licences ----------------------------------------------------------------------------------


@transaction.atomic
def licence_request(*, org: Organization, user: User, profile: CreatorProfile, purpose: str) -> License:
    """``org`` asks for a licence under the creator's current terms (snapshotted). Approved at once
    when the creator chose auto-approval."""
    profile = CreatorProfile.objects.select_for_update(of=("self",)).select_related("character").get(pk=profile.pk)
    if profile.org_id == org.pk:
        raise DomainError("This is your own organisation's creator; you don't need a licence.")
    if listing_problems(profile):
        raise DomainError(f"{profile.display_name} isn't taking licence requests right now.")
    existing = License.objects.filter(
        org=org, profile=profile, status__in=[License.Status.REQUESTED, License.Status.ACTIVE]
    ).first()
    if existing:
        return existing
    terms = profile.current_terms()
    assert terms is not None  # every profile is created with its first terms
    licence = License.objects.create(
        org=org,
        profile=profile,
        terms_version=terms.version,
        royalty_per_image=terms.royalty_per_image,
        uses=list(terms.uses),
        nsfw_allowed=terms.nsfw_allowed,
        monthly_limit=terms.monthly_limit,
        exclusive=terms.exclusive,
        territories=terms.territories,
        length_days=terms.length_days,
        purpose=purpose.strip()[:1000],
        requested_by=user,
    )
    record(
        action=AUDIT_LICENCE,
        summary=f"{user.display_name} asked {profile.display_name} for a likeness licence",
        org=org,
        actor=user,
        target=licence,
    )
    if profile.auto_approve:
        _activate(licence, profile)
    return licence


def _activate(licence: License, profile: CreatorProfile) -> None:
    others = License.objects.filter(profile=profile, status=License.Status.ACTIVE).exclude(pk=licence.pk)
    now = timezone.now()
    if (licence.exclusive or others.filter(exclusive=True).exists()) and others.filter(ends_at__gt=now).exists():
        raise DomainError(
            f"{profile.display_name}'s likeness is licensed exclusively: only one organisation at a time can hold it."
        )
    licence.status = License.Status.ACTIVE
    licence.starts_at = now
    licence.ends_at = now + timedelta(days=licence.length_days)
    licence.save(update_fields=["status", "starts_at", "ends_at", "updated_at"])


@transaction.atomic
def licence_approve(*, licence: License, user: User) -> License:
    licence = License.objects.select_for_update(of=("self",)).select_related("profile").get(pk=licence.pk)
    if licence.status != License.Status.REQUESTED:
        raise DomainError("This request has already been answered.")
    profile = CreatorProfile.objects.select_for_update().get(pk=licence.profile_id)
    _activate(licence, profile)
    record(
        action=AUDIT_LICENCE,
        summary=f"{user.display_name} approved a likeness licence of {profile.display_name}",
        org=profile.org,
        actor=user,
        target=licence,
    )
    return licence


@transaction.atomic
def licence_decline(*, licence: License, user: User) -> License:
    updated = License.objects.filter(pk=licence.pk, status=License.Status.REQUESTED).update(
        status=License.Status.DECLINED, ended_at=timezone.now(), end_reason="Declined by the creator."
    )
    if not updated:
        raise DomainError("This request has already been answered.")
    licence.refresh_from_db()
    return licence


def licence_revoke(*, licence: License, user: User, reason: str = "") -> int:
    """End a licence now: new images are refused at once, a running pack's remaining images are
    cancelled and refunded, and delivered images keep their licence record. Returns how many images
    were stopped.

    The licence row is committed as revoked before the packs are stopped (each in its own
    transaction): a delivery locks its pack, then the licence, so revoking must not hold both."""
    reason = reason.strip()[:200]
    with transaction.atomic():
        updated = License.objects.filter(
            pk=licence.pk, status__in=[License.Status.ACTIVE, License.Status.REQUESTED]
        ).update(
            status=License.Status.REVOKED,
            ended_at=timezone.now(),
            end_reason=reason or "Revoked by the creator.",
            updated_at=timezone.now(),
        )
        if not updated:
            raise DomainError("This licence has already ended.")
        record(
            action=AUDIT_LICENCE,
            summary=f"{user.display_name} revoked a likeness licence of {licence.profile.display_name}",
            org=licence.profile.org,
            actor=user,
            target=licence,
            data={"reason": reason},
        )
    stop = f"The licence for {licence.profile.display_name}'s likeness was revoked, so no more images can be made."
    stopped = 0
    for job in GenerationJob.objects.filter(licensed__license=licence, status__in=ACTIVE):
        stopped += pack_stop(job=job, reason=stop)
    licence.refresh_from_db()
    return stopped
