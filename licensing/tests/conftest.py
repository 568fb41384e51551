"""Licensing tests: a creator organisation with a trained photo character offered for licensing, a
licensee organisation with credits, the demo provider at zero latency, the local Stripe."""

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from assets import storage
from assets.tests.factories import AssetFactory
from billing.services import credits_grant
from characters.models import Character, Consent, DatasetImage
from licensing import services
from licensing.models import CreatorProfile, License
from orgs.models import Role
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider, analyse_once, settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def creator_org(db):
    return OrganizationFactory(name="Maya Lindqvist", slug="maya")


@pytest.fixture
def creator_user(creator_org):
    return MembershipFactory(org=creator_org, role=Role.OWNER).user


@pytest.fixture
def character(creator_org, creator_user):
    """Maya's character from 6 photos, with consent, and a trained face model."""
    from providers.adapters.demo import demo_safetensors

    character = Character.objects.create(
        org=creator_org, name="Maya", origin=Character.Origin.PHOTOS, created_by=creator_user, age=29
    )
    for n in range(6):
        asset = AssetFactory(org=creator_org, filename=f"maya-{n}.jpg", seed=n)
        DatasetImage.objects.create(
            org=creator_org, character=character, asset=asset, bucket=DatasetImage.Bucket.CLOSEUP, position=n
        )
    Consent.objects.create(
        org=creator_org,
        character=character,
        user=creator_user,
        user_email=creator_user.email,
        text_version="v1",
        text="These photos are of me.",
        covers_adult_content=False,
    )
    character.lora_key = storage.storage().save(
        storage.lora_key(creator_org, character),
        ContentFile(demo_safetensors(images=6, trigger_word=character.trigger_word, steps=1000)),
    )
    character.lora_status = Character.LoraStatus.READY
    character.save()
    return character


ALL_CONSENTS = dict.fromkeys(services.CONSENT_CLAUSES, True)


def terms(**overrides) -> services.TermsInput:
    values = {
        "royalty_per_image": "0.25",
        "uses": ["personal", "commercial"],
        "nsfw_allowed": False,
        "monthly_limit": 100,
        "exclusive": False,
        "territories": "Worldwide",
        "length_days": 365,
    }
    return services.TermsInput(**(values | overrides))


@pytest.fixture
def make_profile(creator_org, creator_user, character):
    def make(**term_overrides) -> CreatorProfile:
        profile = services.creator_create(
            org=creator_org,
            user=creator_user,
            character=character,
            display_name="Maya Lindqvist",
            bio="Portrait model in Stockholm.",
            consents=ALL_CONSENTS,
            terms=terms(**term_overrides),
        )
        CreatorProfile.objects.filter(pk=profile.pk).update(payouts_enabled=True, stripe_account_id="acct_test")
        profile.refresh_from_db()
        return profile

    return make


@pytest.fixture
def licensee(db):
    org = OrganizationFactory(name="Brightside Agency", slug="brightside")
    member = MembershipFactory(org=org, role=Role.MEMBER).user
    admin = MembershipFactory(org=org, role=Role.ADMIN).user
    credits_grant(org=org, amount=1000, key=f"test-grant:{org.pk}", description="Test")
    return SimpleNamespace(org=org, member=member, admin=admin)


@pytest.fixture
def licence_for(licensee, creator_user):
    def grant(profile: CreatorProfile) -> License:
        licence = services.licence_request(org=licensee.org, user=licensee.admin, profile=profile, purpose="A campaign")
        return services.licence_approve(licence=licence, user=creator_user)

    return grant
