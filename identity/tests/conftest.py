"""Identity tests: their own MEDIA_ROOT, the demo provider at zero latency, dlib memoised, and a
character whose identity reference is person A (``../shared/fixtures/faces/``), in face-swap mode
or with a face model (HD)."""

import io

import pytest
from django.core.files.base import ContentFile

from assets import storage
from characters.models import Character
from characters.tests import photos
from characters.tests.photos import FACES_DIR


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider, analyse_once):
    """Every test: its own MEDIA_ROOT, the demo provider at once, each distinct photo analysed once."""


@pytest.fixture
def face(org):
    """``face("person-b-1")``: a fixture photo as a library image."""
    from assets.services import asset_create_from_bytes

    def make(name: str, *, character=None, **kwargs):
        asset = asset_create_from_bytes(org=org, data=photos.photo(name), filename=f"{name}.jpg", **kwargs)
        if character is not None:
            asset.character = character
            asset.save(update_fields=["character"])
        return asset

    return make


@pytest.fixture
def ada(org, people, face):
    """A wizard character in face-swap mode: person A's face as its base image and identity reference."""
    from characters import identity

    base = face("person-a-1")
    character = Character.objects.create(
        org=org,
        name="Ada Vance",
        origin=Character.Origin.WIZARD,
        created_by=people.member,
        gender="female",
        age=30,
        base_image=base,
        avatar=base,
    )
    embedding = identity.analyse(io.BytesIO(photos.photo("person-a-1")))[0].embedding
    identity.reference_set(character, [embedding], source="base")
    return character


@pytest.fixture
def ada_hd(ada):
    """Ada with a trained face model (a small real safetensors file in our storage)."""
    from providers.adapters.demo import demo_safetensors

    key = storage.storage().save(
        storage.lora_key(ada.org, ada), ContentFile(demo_safetensors(images=20, trigger_word=ada.trigger_word, steps=1))
    )
    ada.lora_key, ada.lora_status = key, "ready"
    ada.save()
    return ada


@pytest.fixture
def pool(settings):
    """``pool("person-a-2", "person-b-1")``: the demo pastes these photos, picked by seed."""

    def use(*names: str) -> list[str]:
        settings.DEMO_FACE_POOL = [str(FACES_DIR / f"{name}.jpg") for name in names]
        return settings.DEMO_FACE_POOL

    return use
