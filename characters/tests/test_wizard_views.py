"""The wizard as people use it: describe a character, watch four faces arrive, choose one, and
follow the sheet → training pipeline to HD mode — on the demo provider, with exact credits."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from billing.services import credits_available
from characters.models import Character, CharacterJob, CharacterJobItem, TrainingRun
from characters.tests.factories import CharacterJobFactory, CharacterJobItemFactory, TrainingRunFactory
from core.jobs import JobStatus
from core.tests.pages import text_of

pytestmark = pytest.mark.django_db

ATTRIBUTES = {
    "name": "Nova Reyes",
    "style": "photo",
    "gender": "female",
    "age": "27",
    "ethnicity": "hispanic",
    "hair_colour": "auburn",
    "hair_style": "long_wavy",
    "eye_colour": "green",
    "body_type": "athletic",
    "default_outfit": "leather_jacket",
    "notes": "freckles",
}


def _url(name: str, org, *args) -> str:
    return reverse(f"characters:{name}", args=[org.slug, *args])


def _start(client, org, django_capture_on_commit_callbacks, **changes):
    data = {**ATTRIBUTES, "key": str(uuid.uuid4()), **changes}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(_url("wizard", org), data)


def _choose(client, org, character, asset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            _url("wizard_choose", org, character.public_id, asset.public_id), {"key": str(uuid.uuid4())}, follow=True
        )


def _candidates(character) -> list:
    return list(
        CharacterJobItem.objects.filter(job__character=character, job__kind=CharacterJob.Kind.CANDIDATES)
        .exclude(asset=None)
        .select_related("asset")
    )


# --- The form --------------------------------------------------------------------------------------


def test_the_form_offers_every_attribute_as_chips_with_the_price(login, org, fund):
    fund(50)
    response = login("member").get(_url("wizard", org))

    assert response.status_code == 200
    html = response.content.decode()
    page = text_of(response)
    assert "Four faces · 16 credits" in page
    assert "You have 50 available" in page
    assert "HD mode for the face you choose is 360 more" in page
    assert html.count('name="default_outfit"') == 20
    for field in ("style", "gender", "ethnicity", "hair_colour", "hair_style", "eye_colour", "body_type"):
        assert f'name="{field}"' in html
    assert 'class="chip"' in html
    assert 'min="18"' in html


def test_it_refuses_a_17_year_old_and_creates_nothing(login, org, fund, django_capture_on_commit_callbacks):
    fund(50)
    response = _start(login("member"), org, django_capture_on_commit_callbacks, age="17")

    assert response.status_code == 400
    assert "Characters are adults: the age must be 18 or more." in text_of(response)
    assert 'value="Nova Reyes"' in response.content.decode()  # what they typed is kept
    assert not Character.objects.exists()
    assert credits_available(org) == 50


def test_it_asks_who_the_character_is(login, org, fund, django_capture_on_commit_callbacks):
    fund(50)
    response = _start(login("member"), org, django_capture_on_commit_callbacks, gender="")

    assert response.status_code == 400
    assert "Choose who the character is" in text_of(response)
    assert not Character.objects.exists()


def test_without_credits_for_four_faces_nothing_is_created(login, org, fund, django_capture_on_commit_callbacks):
    fund(10)
    response = _start(login("member"), org, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert "Making four faces needs 16 credits and you have 10 available. Nothing was charged." in text_of(response)
    assert not Character.objects.exists()
    assert credits_available(org) == 10


def test_at_the_plan_limit_the_wizard_refuses_with_the_plan(login, org, fund, django_capture_on_commit_callbacks):
    from billing.models import Plan

    org.plan = Plan.objects.get(slug="free")
    org.save()
    fund(50)
    Character.objects.create(org=org, name="Only One", origin=Character.Origin.PHOTOS)

    response = _start(login("member"), org, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert "Your Free plan includes 1 character" in text_of(response)
    assert Character.objects.count() == 1
    assert credits_available(org) == 50


def test_a_repeated_submit_makes_one_character(login, org, fund, django_capture_on_commit_callbacks):
    fund(100)
    client = login("member")
    key = str(uuid.uuid4())
    first = _start(client, org, django_capture_on_commit_callbacks, key=key)
    second = _start(client, org, django_capture_on_commit_callbacks, key=key)

    character = Character.objects.get()
    assert first.url == second.url == _url("wizard_candidates", org, character.public_id)
    assert CharacterJob.objects.count() == 1
    assert credits_available(org) == 100 - 16


# --- The whole flow on the demo provider -------------------------------------------------------


def test_it_goes_from_attributes_to_four_faces_to_hd_mode(login, org, fund, people, django_capture_on_commit_callbacks):
    fund(16 + 360)
    client = login("member")

    response = _start(client, org, django_capture_on_commit_callbacks)

    character = Character.objects.get()
    assert character.origin == "wizard"
    assert (character.age, character.hair_colour, character.default_outfit) == (27, "auburn", "leather_jacket")
    assert response.url == _url("wizard_candidates", org, character.public_id)
    page = client.get(response.url)
    assert "Pick the face you like best" in text_of(page)
    assert text_of(page).count("Use this face") == 4
    status = client.get(_url("wizard_status", org, character.public_id))
    assert status.status_code == 286  # settled: the page stops polling
    assert credits_available(org) == 360

    chosen = _candidates(character)[1].asset
    landed = _choose(client, org, character, chosen, django_capture_on_commit_callbacks)

    assert landed.redirect_chain[-1][0] == _url("detail", org, character.public_id)
    assert "works now in face-swap mode" in text_of(landed)
    character.refresh_from_db()
    assert character.base_image == chosen
    # The demo provider is instant, so the sheet, its check and training have all run.
    assert character.mode == "hd"
    assert TrainingRun.objects.get(character=character).status == JobStatus.SUCCEEDED
    detail = client.get(_url("detail", org, character.public_id))
    assert "Demo run finished" in text_of(detail)  # the demo trained nothing, and says so
    assert "HD mode ready" not in text_of(detail)
    assert "HD demo" in text_of(detail)
    # The demo's chosen face is a placeholder: the page says why there's no likeness reference.
    assert "No face could be found in the chosen image (it is a demo placeholder, not a photo)" in text_of(detail)
    pipeline = client.get(_url("pipeline", org, character.public_id))
    assert pipeline.status_code == 286
    assert credits_available(org) == 0


def test_short_of_credits_at_choose_it_works_in_face_swap_and_offers_hd_later(
    login, org, fund, django_capture_on_commit_callbacks
):
    fund(16 + 100)
    client = login("member")
    _start(client, org, django_capture_on_commit_callbacks)
    character = Character.objects.get()

    landed = _choose(client, org, character, _candidates(character)[0].asset, django_capture_on_commit_callbacks)

    page = text_of(landed)
    assert "works now in face-swap mode. HD mode needs 360 credits, more than you have available" in page
    assert "Face swap works now." in page
    assert "Unlock HD mode (360 credits)" in page
    character.refresh_from_db()
    assert character.mode == "face_swap"
    assert credits_available(org) == 100

    refused = client.post(_url("hd_start", org, character.public_id), {"key": str(uuid.uuid4())}, follow=True)
    assert "HD mode needs 360 credits and you have 100 available. Nothing was charged." in text_of(refused)
    assert credits_available(org) == 100

    fund(260)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("hd_start", org, character.public_id), {"key": str(uuid.uuid4())})
    character.refresh_from_db()
    assert character.mode == "hd"
    assert credits_available(org) == 0


def test_four_more_faces_cost_again_and_the_earlier_ones_stay(login, org, fund, django_capture_on_commit_callbacks):
    fund(16 + 16 + 5)
    client = login("member")
    _start(client, org, django_capture_on_commit_callbacks)
    character = Character.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("wizard_regenerate", org, character.public_id), {"key": str(uuid.uuid4())})

    page = text_of(client.get(_url("wizard_candidates", org, character.public_id)))
    assert "Earlier faces" in page
    assert page.count("Use this face") == 8
    assert credits_available(org) == 5

    refused = client.post(_url("wizard_regenerate", org, character.public_id), {"key": str(uuid.uuid4())}, follow=True)
    assert "Four more faces needs 16 credits and you have 5 available. Nothing was charged." in text_of(refused)
    assert CharacterJob.objects.filter(kind="candidates").count() == 2


def test_while_faces_are_being_made_the_slots_poll(login, org, wizard_character):
    job = CharacterJobFactory(character=wizard_character, kind="candidates", status="running")
    CharacterJobItemFactory(job=job, status="running")
    CharacterJobItemFactory(job=job, status="failed", error="The safety checker flagged it.")
    client = login("viewer")

    response = client.get(_url("wizard_status", org, wizard_character.public_id))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "Making face 1 of 4" in text_of(response)
    assert "The safety checker flagged it." in text_of(response)
    assert "Use this face" not in html


def test_choosing_an_image_that_is_not_a_candidate_is_refused(login, org, wizard_character):
    from assets.tests.factories import AssetFactory

    stranger = AssetFactory(org=org, filename="someone.jpg")
    response = login("member").post(
        _url("wizard_choose", org, wizard_character.public_id, stranger.public_id),
        {"key": str(uuid.uuid4())},
        follow=True,
    )

    assert "Choose one of this character's candidate images." in text_of(response)
    wizard_character.refresh_from_db()
    assert wizard_character.base_image is None


# --- The pipeline card ---------------------------------------------------------------------------


def test_the_pipeline_card_counts_the_sheet_and_polls(login, org, wizard_character):
    from assets.tests.factories import AssetFactory

    wizard_character.base_image = AssetFactory(org=org, filename="face.jpg")
    wizard_character.lora_status = "sheet"
    wizard_character.save()
    job = CharacterJobFactory(character=wizard_character, kind="sheet", status="running")
    CharacterJobItemFactory.create_batch(5, job=job, status="succeeded")
    CharacterJobItemFactory.create_batch(3, job=job, status="running")

    response = login("viewer").get(_url("pipeline", org, wizard_character.public_id))

    assert response.status_code == 200
    assert "Character sheet 5 of 8" in text_of(response)
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert "Unlock HD mode" not in text_of(response)


def test_the_pipeline_card_explains_a_failed_sheet_check(login, org, wizard_character):
    job = CharacterJobFactory(
        character=wizard_character,
        kind="sheet",
        status="succeeded",
        params={"check": {"kept": 4, "made": 8, "note": ""}, "kept": [1, 2, 3, 4]},
    )
    CharacterJobItemFactory(job=job, status="succeeded")
    wizard_character.lora_status = "failed"
    wizard_character.save()
    client = login("member")

    failed = client.get(_url("pipeline", org, wizard_character.public_id))
    assert failed.status_code == 286
    assert "Only 4 of the 8 sheet images showed the same face as the chosen one; training needs at least 6." in text_of(
        failed
    )


def test_the_pipeline_card_shows_how_long_training_has_run(login, org, wizard_character):
    from django.utils import timezone

    CharacterJobFactory(
        character=wizard_character,
        kind="sheet",
        status="succeeded",
        params={"check": {"kept": 7, "made": 8, "note": ""}, "kept": [1, 2, 3, 4, 5, 6, 7]},
    )
    wizard_character.lora_status = "training"
    wizard_character.save()
    TrainingRunFactory(
        character=wizard_character,
        status="running",
        source="sheet",
        started_at=timezone.now() - timezone.timedelta(minutes=12),
    )
    running = login("member").get(_url("pipeline", org, wizard_character.public_id))
    assert running.status_code == 200
    assert "Training, 12 min" in text_of(running)
    assert "7 of 8 kept" in text_of(running)


# --- Permissions -----------------------------------------------------------------------------------


def test_viewers_cannot_use_the_wizard(login, org, wizard_character, fund):
    fund(400)
    client = login("viewer")
    assert client.get(_url("wizard", org)).status_code == 403
    assert client.post(_url("wizard", org), ATTRIBUTES).status_code == 403
    assert client.post(_url("wizard_regenerate", org, wizard_character.public_id)).status_code == 403
    assert client.post(_url("hd_start", org, wizard_character.public_id)).status_code == 403
    assert client.post(_url("wizard_choose", org, wizard_character.public_id, uuid.uuid4())).status_code == 403
    assert not CharacterJob.objects.exists()
    page = client.get(_url("wizard_candidates", org, wizard_character.public_id))
    assert page.status_code == 200
    assert _url("wizard_regenerate", org, wizard_character.public_id) not in page.content.decode()


def test_another_organisation_sees_nothing(client, people, org, wizard_character):
    client.force_login(people.outsider)
    for name in ("wizard_candidates", "wizard_status", "pipeline"):
        assert client.get(_url(name, org, wizard_character.public_id)).status_code == 404
    rival = people.other_org
    for name in ("wizard_candidates", "wizard_status", "pipeline"):
        assert client.get(_url(name, rival, wizard_character.public_id)).status_code == 404
    assert client.post(_url("hd_start", rival, wizard_character.public_id)).status_code == 404
    assert client.post(_url("wizard_regenerate", rival, wizard_character.public_id)).status_code == 404
