"""Edit-job tests: their own MEDIA_ROOT, the demo provider at zero latency, and a funded org."""

import io
from pathlib import Path

import pytest

from assets.tests.factories import AssetFactory
from billing.services import credits_grant


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def _demo_provider(settings):
    settings.FAL_KEY = ""
    settings.DEMO_PROVIDER_LATENCY = 0
    settings.DEMO_PROVIDER_FAILURE_RATE = 0


@pytest.fixture
def fund(org):
    def grant(amount: int, org=org):
        credits_grant(org=org, amount=amount, key=f"test-grant:{org.pk}:{amount}:{id(object())}", description="Test")

    return grant


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
