"""A licensee makes images of a creator's likeness within the licence: uses, adult content and the
monthly limit are refused by name; each delivered image accrues its royalty and carries the licence
in its recipe; the limit reached mid-pack and a revocation mid-pack refuse and refund the rest."""

from decimal import Decimal

import pytest

from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from generation import packs
from generation.models import GenerationImage
from generation.packs import PackRecipe
from licensing import services
from licensing.models import License, RoyaltyEntry

pytestmark = pytest.mark.django_db


def start(capture, licence, user, *, execute=True, use="commercial", **recipe):
    with capture(execute=execute) as callbacks:
        job = packs.pack_start(
            character=licence.profile.character,
            user=user,
            recipe=PackRecipe(**({"count": 5} | recipe)),
            org=licence.org,
            use=use,
        )
    job.refresh_from_db()
    return job, callbacks


def statuses(job):
    return list(GenerationImage.objects.filter(job=job).order_by("position").values_list("status", flat=True))


def test_it_delivers_a_licensed_pack_to_the_licensee_with_royalties_and_the_licence_in_each_recipe(
    make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile(royalty_per_image="0.125"))
    job, _ = start(django_capture_on_commit_callbacks, licence, licensee.member)

    assert job.org_id == licensee.org.pk
    assert job.status == "succeeded"
    assert credits_available(licensee.org) == 1000 - 5 * 4  # credits charged to the licensee as usual
    made = GenerationImage.objects.filter(job=job).select_related("asset")
    for image in made:
        assert image.asset.org_id == licensee.org.pk
        recipe = image.asset.metadata["recipe"]
        assert recipe["license"] == str(licence.public_id)
        assert recipe["licensed_likeness_of"] == "Maya Lindqvist"
    royalties = RoyaltyEntry.objects.filter(license=licence)
    assert royalties.count() == 5
    assert sum(r.amount for r in royalties) == Decimal("0.6250")
    assert ledger_problems(licensee.org) == []


def test_failed_images_accrue_nothing(
    make_profile, licence_for, licensee, settings, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile())
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    job, _ = start(django_capture_on_commit_callbacks, licence, licensee.member)
    assert job.status == "failed"
    assert not RoyaltyEntry.objects.exists()
    assert credits_available(licensee.org) == 1000


def test_adult_content_is_refused_when_the_licence_does_not_allow_it(
    make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile(nsfw_allowed=False))
    with pytest.raises(DomainError, match="Your licence for Maya Lindqvist doesn't allow adult content"):
        start(django_capture_on_commit_callbacks, licence, licensee.member, nsfw=True)
    assert credits_available(licensee.org) == 1000


def test_a_use_the_licence_does_not_cover_is_refused_naming_what_it_covers(
    make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile(uses=["personal"]))
    with pytest.raises(DomainError, match="covers personal use, not advertising use"):
        start(django_capture_on_commit_callbacks, licence, licensee.member, use="advertising")


def test_an_org_without_a_licence_cannot_use_the_character(make_profile, licensee, django_capture_on_commit_callbacks):
    profile = make_profile()
    with pytest.raises(DomainError, match="no active licence for Maya Lindqvist"):
        packs.pack_start(
            character=profile.character, user=licensee.member, recipe=PackRecipe(), org=licensee.org, use="personal"
        )


def test_the_monthly_limit_reached_mid_pack_refuses_and_refunds_the_rest(
    make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile(monthly_limit=7))
    # Two packs start before either delivers (two people at once): both fit under the limit then.
    first, first_submits = start(django_capture_on_commit_callbacks, licence, licensee.member, execute=False)
    second, second_submits = start(django_capture_on_commit_callbacks, licence, licensee.member, execute=False)
    assert credits_available(licensee.org) == 1000 - 10 * 4  # both held
    with django_capture_on_commit_callbacks(execute=True):
        for callback in [*first_submits, *second_submits]:
            callback()

    assert statuses(first) == ["succeeded"] * 5
    assert statuses(second) == ["succeeded", "succeeded", "cancelled", "cancelled", "cancelled"]
    refused = GenerationImage.objects.filter(job=second, status="cancelled").first()
    assert "allows 7 images a month, and 7 have been made this month" in refused.error
    assert RoyaltyEntry.objects.filter(license=licence).count() == 7
    assert credits_available(licensee.org) == 1000 - 7 * 4  # the three refused are refunded
    assert ledger_problems(licensee.org) == []

    with pytest.raises(DomainError, match="allows 7 images a month"):
        start(django_capture_on_commit_callbacks, licence, licensee.member, count=1)


def test_revoking_mid_pack_refuses_new_packs_cancels_the_rest_and_keeps_delivered_images(
    make_profile, licence_for, licensee, creator_user, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile())
    job, submits = start(django_capture_on_commit_callbacks, licence, licensee.member, execute=False)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in submits[:2]:
            callback()
    assert statuses(job)[:2] == ["succeeded", "succeeded"]

    stopped = services.licence_revoke(licence=licence, user=creator_user, reason="Campaign over")

    assert stopped == 3
    assert statuses(job) == ["succeeded", "succeeded", "cancelled", "cancelled", "cancelled"]
    with django_capture_on_commit_callbacks(execute=True):
        for callback in submits[2:]:  # the provider's answers arrive after the revocation: nothing more
            callback()
    assert statuses(job)[2:] == ["cancelled"] * 3
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert credits_available(licensee.org) == 1000 - 2 * 4
    kept = GenerationImage.objects.filter(job=job, status="succeeded").select_related("asset")
    assert all(i.asset.metadata["recipe"]["license"] == str(licence.public_id) for i in kept)
    assert RoyaltyEntry.objects.filter(license=licence).count() == 2
    licence.refresh_from_db()
    assert (licence.status, licence.end_reason) == (License.Status.REVOKED, "Campaign over")
    with pytest.raises(DomainError, match="no active licence"):
        start(django_capture_on_commit_callbacks, licence, licensee.member)


def test_terms_changes_apply_to_new_licences_only(make_profile, licence_for, licensee, creator_user):
    profile = make_profile(royalty_per_image="0.25")
    licence = licence_for(profile)
    from licensing.tests.conftest import terms

    services.terms_change(profile=profile, user=creator_user, terms=terms(royalty_per_image="0.40"))

    licence.refresh_from_db()
    assert (licence.terms_version, licence.royalty_per_image) == (1, Decimal("0.2500"))
    assert profile.current_terms().version == 2
