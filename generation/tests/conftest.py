"""Generation tests (edits, the Studio, packs): their own MEDIA_ROOT, the demo provider at zero latency,
dlib results memoised, and characters in HD and face-swap mode."""

import io

import pytest

from assets.tests.factories import AssetFactory


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider):
    """Every test: its own MEDIA_ROOT and the demo provider at zero latency."""


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="beach.jpg", size=(160, 120))


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
    from characters.models import Character

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
    from django.core.files.base import ContentFile

    from assets import storage
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
