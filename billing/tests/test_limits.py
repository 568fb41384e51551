"""Plan limits: characters, storage, seats and jobs at once. Each refuses creating one more with the
plan's numbers and a link to the plan page; a downgrade keeps everything and only blocks more."""

import pytest
from django.urls import reverse

from assets.services import upload_start
from assets.tests.factories import AssetFactory, AssetRowFactory
from billing import limits
from billing.models import Hold, Plan
from billing.services import credits_available, ledger_problems
from characters import services as character_services
from characters.models import Character
from characters.tests.factories import CharacterFactory, CharacterJobFactory, TrainingRunFactory
from core.exceptions import LimitReached
from core.jobs import JobStatus
from core.tests.pages import text_of
from generation import services as generation_services
from generation.models import EditJob
from generation.tests.factories import EditJobFactory, GenerationJobFactory, PromptDraftFactory
from jobs import engine
from orgs import services as org_services
from orgs.models import Role
from providers.models import ProviderCall
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _on_plan(org, slug: str, **changes) -> Plan:
    plan = Plan.objects.get(slug=slug)
    for name, value in changes.items():
        setattr(plan, name, value)
    if changes:
        plan.save()
    org.plan = plan
    org.save(update_fields=["plan"])
    return plan


def _create_character(org, user, name="Nova"):
    return character_services.character_create(org=org, user=user, name=name, origin=Character.Origin.PHOTOS)


def _billing_link(org) -> str:
    return f'<a href="{reverse("orgs:billing", args=[org.slug])}">'


# --- Characters ------------------------------------------------------------------------------------


def test_it_creates_characters_up_to_the_plans_limit(org, people):
    _on_plan(org, "creator")
    CharacterFactory.create_batch(2, org=org)

    _create_character(org, people.member)

    assert Character.objects.filter(org=org).count() == 3


def test_at_the_limit_a_new_character_is_refused_with_an_upgrade_link(org, people):
    _on_plan(org, "creator")
    CharacterFactory.create_batch(3, org=org)

    with pytest.raises(LimitReached) as refused:
        _create_character(org, people.member)

    assert refused.value.text == (
        "Your Creator plan includes 3 characters; you have 3. Upgrade to add more, or delete one."
    )
    assert _billing_link(org) + "Upgrade</a> to add more" in refused.value.message
    assert Character.objects.filter(org=org).count() == 3


def test_a_downgrade_keeps_every_character_and_blocks_new_ones_until_below_the_limit(org, people):
    _on_plan(org, "studio")
    characters = CharacterFactory.create_batch(5, org=org)

    _on_plan(org, "creator")

    assert Character.objects.filter(org=org).count() == 5
    with pytest.raises(LimitReached, match="includes 3 characters; you have 5"):
        _create_character(org, people.member)
    for character in characters[:2]:
        character.delete()
    with pytest.raises(LimitReached, match="you have 3"):
        _create_character(org, people.member)
    characters[2].delete()
    _create_character(org, people.member)
    assert Character.objects.filter(org=org).count() == 3


def test_an_unlimited_plan_never_refuses_a_character(org, people):
    _on_plan(org, "agency")
    CharacterFactory.create_batch(12, org=org)

    _create_character(org, people.member)


def test_the_new_character_page_says_the_plan_is_full_with_an_upgrade_link(login, org):
    _on_plan(org, "free")
    CharacterFactory(org=org)

    response = login("member").post(
        reverse("characters:new_photos", args=[org.slug]), {"name": "Nova", "gender": "female", "age": 25}
    )

    assert response.status_code == 400
    assert "Your Free plan includes 1 character; you have 1. Upgrade to add more" in text_of(response)
    assert _billing_link(org) + "Upgrade</a>" in response.content.decode()


# --- Storage ---------------------------------------------------------------------------------------


def test_an_upload_past_the_storage_quota_is_refused_with_an_upgrade_link(org, people):
    _on_plan(org, "free", storage_bytes=1_000_000)
    AssetRowFactory(org=org, stored_bytes=900_000)

    with pytest.raises(LimitReached) as refused:
        upload_start(org=org, user=people.member, filename="beach.jpg", size=200_000, content_type="image/jpeg")

    assert refused.value.text.startswith("Your library is full: 878.9 KB of 976.6 KB used")
    assert _billing_link(org) + "upgrade your plan</a> for more storage." in refused.value.message


def test_an_upload_that_just_fits_is_accepted(org, people):
    _on_plan(org, "free", storage_bytes=1_000_000)
    AssetRowFactory(org=org, stored_bytes=800_000)

    upload, _ = upload_start(org=org, user=people.member, filename="beach.jpg", size=200_000, content_type="image/jpeg")
    assert upload.declared_size == 200_000


def test_the_uploader_gets_the_refusal_as_plain_text(login, org):
    _on_plan(org, "free", storage_bytes=1_000_000)
    AssetRowFactory(org=org, stored_bytes=900_000)

    response = login("member").post(
        reverse("assets:upload_start", args=[org.slug]),
        {"filename": "beach.jpg", "size": 200_000, "content_type": "image/jpeg"},
    )

    assert response.status_code == 400
    assert "<a" not in response.json()["error"]
    assert response.json()["error"].endswith("or upgrade your plan for more storage.")


# --- Seats -----------------------------------------------------------------------------------------


def test_an_invitation_past_the_seats_is_refused_with_an_upgrade_link(org, people):
    # Studio: 3 seats, taken by the owner, the admin and the member of ``people``.
    owner = org.memberships.get(user=people.owner)

    with pytest.raises(LimitReached) as refused:
        org_services.invitation_create(actor=owner, email="kim@example.com", role=Role.MEMBER)

    assert "The Studio plan includes 3 seats and all are taken" in refused.value.text
    assert _billing_link(org) + "Upgrade the plan</a>" in refused.value.message
    org_services.invitation_create(actor=owner, email="kim@example.com", role=Role.VIEWER)  # viewers are free


# --- Jobs at once ----------------------------------------------------------------------------------


@pytest.fixture
def photo(org, media_root, demo_provider):
    return AssetFactory(org=org, filename="beach.jpg", size=(160, 120))


def _upscale(org, user, photo):
    return generation_services.upscale_start(org=org, user=user, asset=photo, factor=2)


def test_a_job_starts_while_a_slot_is_free(org, people, fund, photo):
    _on_plan(org, "creator")  # 3 at once
    fund(100)
    EditJobFactory.create_batch(2, org=org)

    job = _upscale(org, people.member, photo)

    assert job.status == JobStatus.QUEUED
    assert credits_available(org) == 92


def test_with_every_slot_taken_a_job_is_refused_and_nothing_is_held(org, people, fund, photo):
    _on_plan(org, "creator")
    fund(100)
    running = EditJobFactory.create_batch(3, org=org)
    holds_before = Hold.objects.count()

    with pytest.raises(LimitReached) as refused:
        _upscale(org, people.member, photo)

    assert refused.value.text == (
        "Your Creator plan runs 3 jobs at a time and 3 are running. Start this when one finishes, or upgrade "
        "to run more at once. Nothing was charged."
    )
    assert _billing_link(org) + "upgrade</a> to run more" in refused.value.message
    assert credits_available(org) == 100
    assert Hold.objects.count() == holds_before
    assert EditJob.objects.filter(org=org).count() == len(running)
    assert not ProviderCall.objects.filter(org=org).exists()
    assert ledger_problems(org) == []


def test_a_job_finishing_frees_its_slot(org, people, fund, photo):
    _on_plan(org, "free")  # 1 at once
    fund(100)
    first = _upscale(org, people.member, photo)
    with pytest.raises(LimitReached, match="runs 1 job at a time and 1 is running"):
        _upscale(org, people.member, photo)

    engine.job_finish(engine.job_lock(EditJob, first.pk), JobStatus.SUCCEEDED)

    second = _upscale(org, people.member, photo)
    assert second.status == JobStatus.QUEUED


def test_jobs_of_every_kind_count_and_free_or_finished_ones_do_not(org, people, fund, photo):
    _on_plan(org, "creator")
    fund(100)
    character = CharacterFactory(org=org)
    GenerationJobFactory(org=org, character=character)
    TrainingRunFactory(org=org, character=character)
    CharacterJobFactory(org=org, character=character, kind="references")  # comes with training: free
    EditJobFactory(org=org, status=JobStatus.SUCCEEDED)
    EditJobFactory(org=OrganizationFactory())  # another organisation's

    assert engine.jobs_running(org) == 2
    _upscale(org, people.member, photo)
    PromptDraftFactory(org=org, character=character)
    assert engine.jobs_running(org) == 4
    with pytest.raises(LimitReached, match="4 are running"):
        _upscale(org, people.member, photo)


def test_a_downgrade_keeps_running_jobs_and_holds_new_ones_back(org, people, fund, photo):
    _on_plan(org, "studio")
    fund(100)
    EditJobFactory.create_batch(4, org=org)

    _on_plan(org, "creator")

    assert EditJob.objects.filter(org=org, status=JobStatus.QUEUED).count() == 4
    with pytest.raises(LimitReached, match="runs 3 jobs at a time and 4 are running"):
        _upscale(org, people.member, photo)


def test_the_upscale_button_shows_the_refusal_with_its_link(login, org, fund, photo):
    _on_plan(org, "free")
    fund(100)
    EditJobFactory(org=org)

    response = login("member").post(
        reverse("generation:upscale", args=[org.slug, photo.public_id]), {"factor": 2}, follow=True
    )

    assert "Your Free plan runs 1 job at a time and 1 is running." in text_of(response)
    assert _billing_link(org) + "upgrade</a>" in response.content.decode()
    assert credits_available(org) == 100


# --- Meters ----------------------------------------------------------------------------------------


def test_the_meters_count_what_the_org_uses_against_its_plan(org, people):
    _on_plan(org, "creator")
    CharacterFactory.create_batch(2, org=org)
    AssetRowFactory(org=org, stored_bytes=3000)
    EditJobFactory(org=org)

    meters = {meter.key: meter for meter in limits.plan_meters(org)}

    assert (meters["characters"].used, meters["characters"].limit) == (2, 3)
    assert (meters["storage"].used, meters["storage"].limit) == (3000 + 1200, 50 * 1024**3)  # + the job's source
    assert (meters["seats"].used, meters["seats"].limit) == (3, 1)  # over, after a downgrade
    assert meters["seats"].full
    assert meters["seats"].level == "danger"
    assert (meters["jobs"].used, meters["jobs"].limit) == (1, 3)
    assert meters["characters"].summary == "2 of 3"


# --- After a failed payment ------------------------------------------------------------------------


def test_past_the_grace_date_of_a_failed_payment_the_free_limits_apply_and_nothing_is_deleted(org, people):
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import BillingSubscription

    _on_plan(org, "creator")
    CharacterFactory.create_batch(2, org=org)
    # A failed renewal, as billing.stripe_sync records it: past due, with a grace date.
    BillingSubscription.objects.update_or_create(
        org=org, defaults={"status": "past_due", "grace_until": timezone.now() + timedelta(days=3)}
    )
    _create_character(org, people.member, name="Within grace")  # the paid plan's limits still apply
    assert Character.objects.filter(org=org).count() == 3

    BillingSubscription.objects.filter(org=org).update(grace_until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(LimitReached) as refused:
        _create_character(org, people.member, name="Past grace")

    assert "Free" in refused.value.text
    assert Character.objects.filter(org=org).count() == 3  # nothing deleted
