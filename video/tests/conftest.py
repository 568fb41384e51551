"""Video tests: their own MEDIA_ROOT, the demo provider at zero latency, dlib results memoised, and
the images, videos and characters they animate."""

import io

import pytest

from assets.services import asset_create_from_bytes
from characters import identity
from characters.models import Character, Consent
from characters.tests import photos
from video.tests import clips


@pytest.fixture(autouse=True)
def _isolated(media_root, demo_provider, analyse_once):
    """Every test: its own MEDIA_ROOT, the demo provider at zero latency, dlib once per photo."""


@pytest.fixture
def landscape(org, people):
    """A 16:9-ish photo of person A with a character's face: what most clips are made of."""
    return asset_create_from_bytes(
        org=org, data=photos.jpeg(photos.fixture("person-a-1").resize((640, 400))), filename="terrace.jpg"
    )


@pytest.fixture
def portrait(org):
    return asset_create_from_bytes(
        org=org, data=photos.jpeg(photos.fixture("person-a-2").resize((360, 640))), filename="portrait.jpg"
    )


@pytest.fixture
def ava(org, people):
    """A wizard character in face-swap mode: person A's face as its base image and identity reference."""
    face = photos.photo("person-a-1")
    base = asset_create_from_bytes(org=org, data=face, filename="ava.jpg")
    character = Character.objects.create(
        org=org,
        name="Ava Stone",
        origin=Character.Origin.WIZARD,
        created_by=people.member,
        gender="female",
        age=29,
        base_image=base,
        avatar=base,
    )
    identity.reference_set(character, [identity.analyse(io.BytesIO(face))[0].embedding], source="base")
    return character


@pytest.fixture
def adult_ava(ava, org, people):
    """Ava, allowed adult content: the org's switch, a consent record that covers it, her own switch."""
    org.adult_content = True
    org.save()
    Consent.objects.create(
        org=org,
        character=ava,
        user=people.owner,
        user_email=people.owner.email,
        ip="203.0.113.9",
        text="The subject is an adult and agreed to adult content.",
        text_version="test",
        covers_adult_content=True,
    )
    Character.objects.filter(pk=ava.pk).update(nsfw_allowed=True, origin=Character.Origin.PHOTOS)
    ava.refresh_from_db()
    return ava


@pytest.fixture
def reference(org):
    """A 3-second reference video whose frames show one face (person B)."""
    return asset_create_from_bytes(org=org, data=clips.still_clip("person-b-1"), filename="dance.mp4")
