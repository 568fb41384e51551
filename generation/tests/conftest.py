"""Generation tests (edits, the Studio, packs): their own MEDIA_ROOT, the demo provider at zero latency,
dlib results memoised, an inpaint run all the way through, and characters with a face model, in HD and
face-swap mode."""

import io

import pytest
from django.core.files.base import ContentFile

from assets import storage
from assets.tests.factories import AssetFactory
from characters.models import Character
from generation import edits
from generation.tests.edit_helpers import mask_file, run


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider):
    """Every test: its own MEDIA_ROOT and the demo provider at zero latency."""


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="beach.jpg", size=(160, 120))


# --- Edits: inpaint on the demo provider, and a character with a face model ---------------------------


@pytest.fixture
def start(people, org, fund, photo, django_capture_on_commit_callbacks):
    """Inpaint ``photo`` on the demo provider, all the way through; returns the job, refreshed."""

    def go(prompt="add a nano banana on the table", mask=None, credits=20, **kwargs):
        if credits:
            fund(credits)
        job = run(
            django_capture_on_commit_callbacks,
            edits.inpaint_start,
            org=org,
            user=people.member,
            asset=photo,
            prompt=prompt,
            mask=mask or mask_file(),
            **kwargs,
        )
        job.refresh_from_db()
        return job

    return go


@pytest.fixture
def ava(org):
    """A character with a trained face model (a small file standing in for the LoRA)."""
    character = Character.objects.create(org=org, name="Ava Stone", origin=Character.Origin.PHOTOS)
    character.lora_key = storage.storage().save(storage.lora_key(org, character), ContentFile(b"lora"))
    character.lora_status = Character.LoraStatus.READY
    character.save()
    return character


# --- Studio: characters in HD and face-swap mode ----------------------------------------------------


@pytest.fixture
def face_photo():
    """Person A's photo, scaled up (a real face for dlib)."""
    from characters.tests import photos

    return photos.photo("person-a-1")


@pytest.fixture
def swap_character(org, people, face_photo):
    """A wizard character in face-swap mode: a real face as its base image and identity reference."""
    from assets.services import asset_create_from_bytes
    from characters import identity

    base = asset_create_from_bytes(org=org, data=face_photo, filename="nova.jpg")
    character = Character.objects.create(
        org=org,
        name="Nova Reyes",
        origin=Character.Origin.WIZARD,
        created_by=people.member,
        gender="female",
        age=27,
        hair_colour="auburn",
        hair_style="long_wavy",
        default_outfit="leather_jacket",
        base_image=base,
        avatar=base,
    )
    identity.reference_set(character, [identity.analyse(io.BytesIO(face_photo))[0].embedding], source="base")
    return character


@pytest.fixture
def hd_character(swap_character):
    """The same character with a trained face model (a small real safetensors file in our storage)."""
    from providers.adapters.demo import demo_safetensors

    key = storage.storage().save(
        storage.lora_key(swap_character.org, swap_character),
        ContentFile(demo_safetensors(images=20, trigger_word=swap_character.trigger_word, steps=1000)),
    )
    swap_character.lora_key, swap_character.lora_status = key, "ready"
    swap_character.save()
    return swap_character


@pytest.fixture(autouse=True)
def _faces_once(analyse_once):
    """dlib analyses each distinct image once per session (the demo's placeholders repeat)."""
