"""The character list, choosing a path, the character page, edit, delete, the NSFW permission and
the organisation's adult-content switch, as people use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from assets import storage
from assets.models import Asset
from assets.services import asset_create_file
from assets.tests.factories import AssetFactory, stored_files
from billing.models import Plan
from characters.models import Character, Consent, DatasetImage, TrainingRun
from characters.services import consent_record
from core.tests.pages import text_of

pytestmark = pytest.mark.django_db


def _url(name: str, org, *args) -> str:
    return reverse(f"characters:{name}", args=[org.slug, *args])


def _character(org, **fields) -> Character:
    return Character.objects.create(org=org, **{"name": "Ava Stone", "origin": "photos", "age": 29, **fields})


@pytest.fixture
def hd_character(org, people):
    """A photo character with three photos, a consent record and a trained LoRA in storage."""
    character = _character(org, created_by=people.member, gender="female", hair_colour="auburn")
    for n, bucket in enumerate(["closeup", "half", "full"]):
        asset = AssetFactory(org=org, filename=f"ava-{n}.jpg", seed=n, size=(120, 160))
        DatasetImage.objects.create(org=org, character=character, asset=asset, bucket=bucket, position=n)
    key = storage.lora_key(org, character)
    storage.storage().save(key, ContentFile(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
    lora = asset_create_file(org=org, key=key, filename="ava.safetensors", title="Ava Stone — face model (LoRA)")
    character.lora_asset, character.lora_key, character.lora_status = lora, key, "ready"
    character.save()
    started = timezone.now() - timedelta(minutes=20)
    TrainingRun.objects.create(
        org=org,
        character=character,
        status="succeeded",
        source="photos",
        trigger_word=character.trigger_word,
        steps=1000,
        images=3,
        credits=300,
        started_at=started,
        finished_at=started + timedelta(minutes=14),
    )
    TrainingRun.objects.create(
        org=org,
        character=character,
        status="failed",
        source="photos",
        trigger_word=character.trigger_word,
        steps=1000,
        images=3,
        credits=300,
        error="The trainer ran out of memory.",
    )
    consent_record(character=character, user=people.member, ip="203.0.113.5", user_agent="pytest")
    return character


# --- The list ------------------------------------------------------------------------------------


def test_an_empty_list_explains_both_ways_with_prices(login, org):
    page = text_of(login("member").get(_url("list", org)))

    assert "Create your first character" in page
    assert "From photos" in page
    assert "300 credits" in page
    assert "With the wizard" in page
    assert "16 credits, then 360 for HD" in page


def test_a_demo_face_model_is_never_shown_as_a_trained_one(login, org, hd_character):
    hd_character.lora_asset.metadata = {"lora": {"demo": True, "provider": "demo"}}
    hd_character.lora_asset.save(update_fields=["metadata"])
    client = login("viewer")

    listing = text_of(client.get(_url("list", org)))
    detail = text_of(client.get(_url("detail", org, hd_character.public_id)))
    studio = text_of(client.get(reverse("generation:studio", args=[org.slug, hd_character.public_id])))

    assert "Face model trained" not in listing
    assert "Demo placeholder · no face model trained" in listing
    for page in (listing, detail, studio):
        assert "HD demo" in page
    assert "Demo placeholder, not a trained face model" in studio
    assert "with a face model trained for it" not in detail


def test_the_list_shows_each_character_with_its_mode_and_status(login, org, hd_character):
    face = AssetFactory(org=org, filename="face.jpg")
    _character(org, name="Mara Quinn", origin="wizard", base_image=face, lora_status="sheet")
    _character(org, name="Leo Park", origin="photos")

    response = login("viewer").get(_url("list", org))

    page = text_of(response)
    assert response.status_code == 200
    assert "Ava Stone HD" not in page  # the badge sits on the picture, the name below it
    assert page.count("HD") >= 1
    assert "Face swap" in page
    assert "Not ready" in page
    assert "Face model trained" in page
    assert "Making the character sheet" in page
    assert "Add 20–30 photos to train" in page
    assert "From 3 photos" in page
    assert _url("new", org) not in response.content.decode()  # viewers don't get the button


def test_at_the_plan_limit_creating_is_switched_off_with_a_way_out(login, org):
    org.plan = Plan.objects.get(slug="creator")
    org.save()
    for n in range(3):
        _character(org, name=f"Character {n}")
    client = login("member")

    response = client.get(_url("list", org))
    page = text_of(response)
    assert "3 of 3 characters on the Creator plan." in page
    assert "upgrade" in page
    assert reverse("orgs:billing", args=[org.slug]) in response.content.decode()
    assert f'href="{_url("new", org)}"' not in response.content.decode()

    new = client.get(_url("new", org))
    assert "3 of 3 characters on the Creator plan." in text_of(new)
    assert f'href="{_url("wizard", org)}"' not in new.content.decode()


def test_below_the_limit_the_list_says_how_many_are_used(login, org):
    org.plan = Plan.objects.get(slug="creator")
    org.save()
    _character(org)

    assert "1 of 3 characters on the Creator plan." in text_of(login("member").get(_url("list", org)))


def test_choosing_a_path_shows_both_with_prices_from_the_price_list(login, org):
    response = login("member").get(_url("new", org))

    page = text_of(response)
    assert "From photos" in page
    assert "300 credits to train" in page
    assert "Design with the wizard" in page
    assert "16 credits for four faces, then 360 for HD mode" in page
    html = response.content.decode()
    assert _url("new_photos", org) in html
    assert _url("wizard", org) in html


# --- The character page ------------------------------------------------------------------------


def test_the_page_shows_everything_about_the_character(login, org, hd_character, people):
    response = login("viewer").get(_url("detail", org, hd_character.public_id))

    assert response.status_code == 200
    page = text_of(response)
    assert hd_character.trigger_word in page
    assert "Copy" in page
    assert "HD" in page
    assert "Woman" in page
    assert "auburn" in page
    assert "Jeans and white tee" in page
    assert "3 photos" in page
    # consent: who, when, IP, version, and the full text behind a link
    assert people.member.display_name in page
    assert "203.0.113.5" in page
    assert "Version 2026-11" in page
    assert "Read the full text" in page
    assert "written permission" in page
    # training history: both runs, with credits, time taken and the failure reason
    assert "Done" in page
    assert "Failed" in page
    assert "300 charged" in page
    assert "300 returned" in page
    assert "14 min 0 s" in page
    assert "The trainer ran out of memory." in page
    assert "Ava Stone — face model (LoRA)" in page
    assert "Face model (LoRA)" in page
    assert "Identity reference" in page
    assert "Not computed yet" in page
    # viewers read; they get no edit, delete or NSFW buttons
    html = response.content.decode()
    assert _url("edit", org, hd_character.public_id) not in html
    assert _url("delete", org, hd_character.public_id) not in html
    assert _url("nsfw", org, hd_character.public_id) not in html


def test_the_identity_reference_says_where_it_came_from(login, org, hd_character):
    hd_character.identity_embedding = [0.0] * 128
    hd_character.identity_source, hd_character.identity_images = "dataset", 3
    hd_character.save()

    page = text_of(login("member").get(_url("detail", org, hd_character.public_id)))

    assert "Computed from 3 images (the training photos)." in page


def test_the_page_says_which_model_makes_drafts(login, org, hd_character):
    page = text_of(login("viewer").get(_url("detail", org, hd_character.public_id)))
    assert (
        "Drafts use FLUX, like HQ images: Ava Stone's face model was trained before Z-Image drafts. They take a "
        "little longer; the credits are the same." in page
    )

    hd_character.zimage_lora_key = f"orgs/{org.public_id}/loras/{hd_character.public_id}.zimage-x.safetensors"
    hd_character.save()
    page = text_of(login("viewer").get(_url("detail", org, hd_character.public_id)))
    assert "Drafts use Z-Image Turbo with a face model trained for it; HQ images use FLUX." in page
    assert "Drafts use FLUX" not in page


def test_another_organisation_gets_404_everywhere(client, people, org, hd_character):
    client.force_login(people.outsider)
    for name in ("detail", "edit", "delete", "pipeline"):
        assert client.get(_url(name, org, hd_character.public_id)).status_code == 404
        assert client.get(_url(name, people.other_org, hd_character.public_id)).status_code == 404
    for name in ("edit", "delete", "nsfw"):
        assert client.post(_url(name, people.other_org, hd_character.public_id), {}).status_code == 404
    assert Character.objects.filter(pk=hd_character.pk).exists()


# --- Edit -----------------------------------------------------------------------------------------


def _edit_data(character, **changes):
    data = {
        name: getattr(character, name)
        for name in (
            "name",
            "style",
            "gender",
            "age",
            "ethnicity",
            "hair_colour",
            "hair_style",
            "eye_colour",
            "body_type",
            "default_outfit",
            "notes",
        )
    }
    return {**data, **changes}


def test_editing_saves_the_attributes(login, org, hd_character):
    response = login("member").post(
        _url("edit", org, hd_character.public_id),
        _edit_data(hd_character, name="Ava S.", age=31, hair_colour="blonde", default_outfit="trench_coat"),
        follow=True,
    )

    assert "Ava S. saved." in text_of(response)
    hd_character.refresh_from_db()
    assert (hd_character.name, hd_character.age, hd_character.hair_colour) == ("Ava S.", 31, "blonde")
    assert hd_character.default_outfit == "trench_coat"


def test_editing_refuses_an_age_under_18(login, org, hd_character):
    response = login("member").post(_url("edit", org, hd_character.public_id), _edit_data(hd_character, age=17))

    assert response.status_code == 400
    assert "Characters are adults: the age must be 18 or more." in text_of(response)
    hd_character.refresh_from_db()
    assert hd_character.age == 29


def test_viewers_cannot_edit(login, org, hd_character):
    client = login("viewer")
    assert client.get(_url("edit", org, hd_character.public_id)).status_code == 403
    assert client.post(_url("edit", org, hd_character.public_id), _edit_data(hd_character, age=40)).status_code == 403
    hd_character.refresh_from_db()
    assert hd_character.age == 29


# --- Delete ---------------------------------------------------------------------------------------


def test_the_delete_page_names_what_will_go(login, org, hd_character):
    response = login("member").get(_url("delete", org, hd_character.public_id))

    page = text_of(response)
    assert "Delete Ava Stone?" in page
    assert "3 training photos" in page
    assert "1 face model (LoRA file)" in page
    assert "2 training runs" in page
    assert "Type Ava Stone to confirm" in page


def test_deleting_needs_the_name_typed(login, org, hd_character, media_root):
    before = stored_files(media_root)
    response = login("member").post(_url("delete", org, hd_character.public_id), {"confirm_name": "Ava"})

    assert response.status_code == 400
    assert "Type the character's name, Ava Stone, exactly as shown to confirm." in text_of(response)
    assert Character.objects.filter(pk=hd_character.pk).exists()
    assert stored_files(media_root) == before


def test_deleting_removes_the_character_its_photos_and_its_face_model(
    login, org, hd_character, media_root, django_capture_on_commit_callbacks
):
    lora_key = hd_character.lora_key
    photo_keys = {
        k for image in hd_character.dataset.all() for k in (image.asset.original_key, *image.asset.variants.values())
    }
    assert lora_key in stored_files(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(
            _url("delete", org, hd_character.public_id), {"confirm_name": " Ava Stone "}, follow=True
        )

    assert response.redirect_chain[-1][0] == _url("list", org)
    assert "Ava Stone was deleted with 3 training photos, 1 face model (LoRA file), 2 training runs." in text_of(
        response
    )
    assert not Character.objects.filter(pk=hd_character.pk).exists()
    assert not Consent.objects.exists()
    assert not Asset.objects.filter(org=org).exists()
    left = stored_files(media_root)
    assert lora_key not in left
    assert not photo_keys & left


def test_viewers_cannot_delete(login, org, hd_character):
    client = login("viewer")
    assert client.get(_url("delete", org, hd_character.public_id)).status_code == 403
    assert client.post(_url("delete", org, hd_character.public_id), {"confirm_name": "Ava Stone"}).status_code == 403
    assert Character.objects.filter(pk=hd_character.pk).exists()


# --- Adult content ----------------------------------------------------------------------------------


def _allow(client, org, character):
    return client.post(_url("nsfw", org, character.public_id), {"allowed": "1"}, follow=True)


def test_nsfw_is_refused_while_the_organisation_has_adult_content_off(login, org, people):
    character = _character(org)
    consent_record(character=character, user=people.member, ip=None, covers_adult_content=True)
    client = login("member")

    page = text_of(client.get(_url("detail", org, character.public_id)))
    assert "Adult content is switched off for the organisation. An owner can switch it on in Settings." in page

    response = _allow(client, org, character)
    assert "Adult content is switched off for the organisation." in text_of(response)
    character.refresh_from_db()
    assert not character.nsfw_allowed


def test_nsfw_is_refused_when_the_consent_does_not_cover_it(login, org, people):
    org.adult_content = True
    org.save()
    character = _character(org)
    client = login("member")

    assert "There is no consent record for this character." in text_of(_allow(client, org, character))
    consent_record(character=character, user=people.member, ip=None, covers_adult_content=False)
    assert "The consent record doesn't cover adult content." in text_of(_allow(client, org, character))
    character.refresh_from_db()
    assert not character.nsfw_allowed


def test_nsfw_is_allowed_when_the_organisation_and_the_consent_allow_it(login, org, people):
    org.adult_content = True
    org.save()
    character = _character(org)
    consent_record(character=character, user=people.member, ip=None, covers_adult_content=True)
    client = login("member")

    response = _allow(client, org, character)

    assert "Adult content is allowed for Ava Stone." in text_of(response)
    character.refresh_from_db()
    assert character.nsfw_allowed

    off = client.post(_url("nsfw", org, character.public_id), {"allowed": "0"}, follow=True)
    assert "Adult content is off for Ava Stone." in text_of(off)
    character.refresh_from_db()
    assert not character.nsfw_allowed


def test_nsfw_stops_being_permitted_when_the_organisation_switches_adult_content_off(login, org, people):
    from characters.services import nsfw_permitted

    org.adult_content = True
    org.save()
    character = _character(org)
    consent_record(character=character, user=people.member, ip=None, covers_adult_content=True)
    _allow(login("member"), org, character)
    character.refresh_from_db()
    assert nsfw_permitted(character)

    org.adult_content = False
    org.save()
    character.refresh_from_db()
    assert character.nsfw_allowed  # the character's own switch is kept …
    assert not nsfw_permitted(character)  # … but nothing adult can be made while the org says no


def test_viewers_cannot_change_nsfw(login, org, people):
    org.adult_content = True
    org.save()
    character = _character(org)
    consent_record(character=character, user=people.member, ip=None, covers_adult_content=True)

    assert login("viewer").post(_url("nsfw", org, character.public_id), {"allowed": "1"}).status_code == 403
    character.refresh_from_db()
    assert not character.nsfw_allowed


# --- The organisation's adult-content switch ----------------------------------------------------

SETTINGS = "/o/northstar/settings/"


def test_only_an_owner_can_switch_adult_content(login, org):
    for role in ("admin", "member", "viewer"):
        client = login(role)
        assert "Only an owner can switch this on or off." in text_of(client.get(SETTINGS))
        response = client.post(SETTINGS, {"action": "adult_content", "enabled": "1", "confirmed_adult": "on"})
        assert response.status_code == 403
    org.refresh_from_db()
    assert not org.adult_content


def test_switching_adult_content_on_needs_the_18_plus_confirmation(login, org):
    response = login("owner").post(SETTINGS, {"action": "adult_content", "enabled": "1"}, follow=True)

    assert "Confirm that you are 18 or older to switch adult content on." in text_of(response)
    org.refresh_from_db()
    assert not org.adult_content


def test_an_owner_switches_adult_content_on_and_off_and_who_is_recorded(login, org, people):
    client = login("owner")

    response = client.post(SETTINGS, {"action": "adult_content", "enabled": "1", "confirmed_adult": "on"}, follow=True)

    org.refresh_from_db()
    assert org.adult_content
    assert org.adult_content_confirmed_by == people.owner
    assert org.adult_content_confirmed_at is not None
    page = text_of(response)
    assert "Adult content is on." in page
    assert f"Switched on by {people.owner.display_name}" in page

    off = client.post(SETTINGS, {"action": "adult_content", "enabled": "0"}, follow=True)
    org.refresh_from_db()
    assert not org.adult_content
    assert "Adult content is off." in text_of(off)


# --- The dashboard and sections ---------------------------------------------------------------------


def test_the_checklist_ticks_off_the_first_character(login, org):
    from orgs.selectors import getting_started_steps

    def step():
        return next(s for s in getting_started_steps(org) if s["title"] == "Create your first character")

    assert not step()["done"]
    assert step()["url"] == _url("list", org)
    assert _url("list", org) in login("member").get("/o/northstar/").content.decode()

    character = _character(org)
    assert not step()["done"]  # a name alone can't be used yet
    character.base_image = AssetFactory(org=org, filename="face.jpg")
    character.save()
    assert step()["done"]


def test_the_studio_section_sends_people_to_the_characters_list(login, org):
    response = login("member").get("/o/northstar/studio/")

    assert f'href="{_url("list", org)}"' in response.content.decode()
    assert login("member").get("/o/northstar/characters/").resolver_match.view_name == "characters:list"
