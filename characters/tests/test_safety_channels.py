"""The minors screen where characters take words: names and notes (create, edit, the wizard),
captions (by hand, from the vision model, into training). Every evasion class is refused on the
field it was typed in, the refusal is kept, and nothing else changes."""

import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape

from characters import captions, services
from characters.models import Character, CharacterJob, DatasetImage
from characters.tests.factories import DatasetImageFactory
from core.tests.pages import text_of
from safety.models import SafetyEvent
from safety.screen import MinorsRefused
from safety.tests.evasions import EVASIONS

pytestmark = pytest.mark.django_db

CASES = list(EVASIONS.items())
IDS = list(EVASIONS)


def _url(name, org, *args):
    return reverse(f"characters:{name}", args=[org.slug, *args])


@pytest.fixture
def ava(org, people):
    return Character.objects.create(org=org, name="Ava Stone", origin=Character.Origin.PHOTOS, notes="freckles")


EDIT_FORM = {"name": "Ava Stone", "style": "photo", "age": "27", "default_outfit": "casual_jeans", "notes": ""}


@pytest.mark.parametrize(("kind", "words"), CASES, ids=IDS)
def test_notes_naming_a_minor_are_refused_on_the_field(login, org, people, ava, kind, words):
    response = login("member").post(_url("edit", org, ava.public_id), {**EDIT_FORM, "notes": words})
    assert response.status_code == 400
    page = text_of(response)
    assert "A character's notes can't mention children or anyone under 18" in page
    assert escape(words) in response.content.decode()  # what was typed stays in the form
    ava.refresh_from_db()
    assert ava.notes == "freckles"
    event = SafetyEvent.objects.get()
    assert (event.where, event.field, event.user) == ("character", "notes", people.member)


@pytest.mark.parametrize(("kind", "words"), CASES, ids=IDS)
def test_names_naming_a_minor_are_refused_on_the_field(login, org, people, kind, words):
    name = words[:80]
    response = login("member").post(_url("new_photos", org), {"name": name})
    assert "A character's name can't mention children or anyone under 18" in text_of(response)
    assert not Character.objects.exists()
    assert SafetyEvent.objects.get().field == "name"


def test_the_message_says_what_to_change(login, org, ava):
    response = login("member").post(_url("edit", org, ava.public_id), {**EDIT_FORM, "notes": "looks 15, freckles"})
    page = text_of(response)
    assert "“looks 15” reads as an age under 18" in page
    assert "Give an age of 18 or more, or leave the age out." in page


def test_harmless_notes_are_saved(login, org, ava):
    notes = "kid-leather gloves, a baby-blue scarf, aged 31"
    response = login("member").post(_url("edit", org, ava.public_id), {**EDIT_FORM, "notes": notes})
    assert response.status_code == 302
    ava.refresh_from_db()
    assert ava.notes == notes
    assert not SafetyEvent.objects.exists()


def test_the_wizard_refuses_notes_naming_a_minor_creates_nothing_and_keeps_the_refusal(
    login, org, fund, django_capture_on_commit_callbacks
):
    fund(50)
    data = {
        "name": "Nova Reyes",
        "style": "photo",
        "gender": "female",
        "age": "27",
        "default_outfit": "leather_jacket",
        "notes": "she is in the 9th grade",
        "key": str(uuid.uuid4()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(_url("wizard", org), data)
    assert response.status_code == 400
    assert "A character's notes can't mention children" in text_of(response)
    assert not Character.objects.exists()
    assert not CharacterJob.objects.exists()
    assert SafetyEvent.objects.get().where == "character"


def test_notes_saved_before_the_screen_are_caught_when_faces_are_made(org, people, fund):
    fund(50)
    nova = Character.objects.create(
        org=org, name="Nova Reyes", origin=Character.Origin.WIZARD, gender="female", notes="a s.c.h.o.o.l.g.i.r.l"
    )
    from characters import wizard

    with pytest.raises(MinorsRefused) as refused:
        wizard.wizard_candidates_start(character=nova, user=people.member, key="k")
    assert "Nova Reyes's notes can't mention children" in refused.value.message
    assert "Edit the notes on the character's page." in refused.value.message
    assert not CharacterJob.objects.exists()


@pytest.mark.parametrize(("kind", "words"), CASES, ids=IDS)
def test_captions_naming_a_minor_are_refused_and_the_old_one_kept(org, people, ava, kind, words):
    image = DatasetImageFactory(character=ava, caption="prsnab23 by a window")
    with pytest.raises(MinorsRefused) as refused:
        captions.caption_set(image=image, text=words, user=people.member)
    assert refused.value.field == "caption"
    assert DatasetImage.objects.get(pk=image.pk).caption == "prsnab23 by a window"
    assert SafetyEvent.objects.get().where == "caption"


def test_a_caption_written_by_the_vision_model_that_names_a_minor_fails_that_photo(
    xai_emulator, org, people, ava, django_capture_on_commit_callbacks
):
    DatasetImageFactory(character=ava)
    xai_emulator.reply("a young boy, about nine, on a swing")
    with django_capture_on_commit_callbacks(execute=True):
        job = captions.captions_start(character=ava, user=people.member)
    item = job.items.get()
    assert item.status == "failed"
    assert "The written caption was refused." in item.error
    assert DatasetImage.objects.get(character=ava).caption == ""
    assert SafetyEvent.objects.get().where == "caption_writer"


def test_training_refuses_captions_that_name_a_minor(trainable, people, fund):
    from characters import training

    fund(400)
    DatasetImage.objects.filter(pk=trainable.dataset.first().pk).update(caption="prsn a teen on a swing")
    with pytest.raises(MinorsRefused) as refused:
        training.training_start(character=trainable, user=people.member, key="k", captions=True)
    assert "Captions can't mention children" in refused.value.message
    assert not trainable.training_runs.exists()


def test_updating_through_the_service_screens_too(org, people, ava):
    with pytest.raises(MinorsRefused):
        services.character_update(character=ava, user=people.member, name="Lil Girl Ava")
    ava.refresh_from_db()
    assert ava.name == "Ava Stone"
