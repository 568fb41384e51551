"""The demo workspace's sample content: a sample character made with the wizard, a finished pack,
an edit, a collection, a video clip and a style recipe, so every page of the demo account has
something to show.

Everything is made the way a person would make it (the same services, jobs and credits), on the
offline demo provider whatever keys are configured, so nothing is paid for at a provider and every
picture is a labelled demo render. The character's name says it is a sample. Each step has a fixed
idempotency key, so running the seed again finds what the last run made and adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import current_app
from django.test import override_settings

from accounts.models import User
from assets.models import Asset, Collection
from assets.services.library import collection_add, collection_create
from characters import wizard
from characters.models import Character, CharacterJob, CharacterJobItem
from generation import packs
from generation.edits import clothes_start
from orgs.models import Organization
from styles.services import style_extract, style_studio_set
from video.services import VideoRequest, video_start

SAMPLE_NAME = "Mara (sample)"
COLLECTION_NAME = "Sample picks"
KEY = "seed:workspace:"
SAMPLE_ATTRIBUTES = {
    "name": SAMPLE_NAME,
    "style": "photo",
    "gender": "female",
    "age": 29,
    "ethnicity": "hispanic",
    "hair_colour": "auburn",
    "hair_style": "long_wavy",
    "eye_colour": "green",
    "body_type": "athletic",
    "default_outfit": "leather_jacket",
}
PACKS = [
    ("pack-beach", packs.PackRecipe(scene="beach_day", environment="beach", outfit="summer_dress", count=5)),
    (
        "pack-office",
        packs.PackRecipe(
            scene="professional_portrait", environment="office", outfit="business_suit", aspect_ratio="1:1", count=1
        ),
    ),
]


@contextmanager
def demo_provider_inline() -> Iterator[None]:
    """Jobs run to the end inside the calls that start them, on the offline demo provider with no
    simulated wait or failures, and so without a worker."""
    app = current_app  # the project's Celery app (config.celery, loaded when Django starts)
    # Put back exactly what was there: an explicit value, or none (then Celery keeps reading
    # CELERY_TASK_ALWAYS_EAGER from Django's settings; pinning the value read would stop that).
    changes = app.conf.changes
    assert changes is not None  # the app is configured: Django has started
    pinned = "task_always_eager" in changes
    eager = changes.get("task_always_eager")
    app.conf.task_always_eager = True
    try:
        with override_settings(
            FAL_KEY="", REPLICATE_API_TOKEN="", XAI_API_KEY="", DEMO_PROVIDER_LATENCY=0, DEMO_PROVIDER_FAILURE_RATE=0
        ):
            yield
    finally:
        if pinned:
            app.conf.task_always_eager = eager
        else:
            changes.pop("task_always_eager", None)


def seed(org: Organization, user: User) -> None:
    with demo_provider_inline():
        character = _sample_character(org, user)
        images = _packs(character, user)
        if not images:
            return
        clothes_start(org=org, user=user, asset=images[0], outfit="leather_jacket", key=KEY + "edit")
        video_start(
            org=org,
            user=user,
            asset=images[1 % len(images)],
            request=VideoRequest(prompt="she turns to the camera and smiles, hair moving in the breeze", seconds=6),
            key=KEY + "video",
        )
        style = style_extract(org=org, user=user, asset=images[-1], key=KEY + "style")
        style.refresh_from_db()
        if style.status == "succeeded" and not style.in_studio:
            style_studio_set(style=style, offered=True)  # a preset under "Your styles" in the Studio
        _collection(org, user, images)


def _sample_character(org: Organization, user: User) -> Character:
    """The wizard's sample character, with the first of its four faces chosen (which also runs the
    character sheet and the demo training)."""
    job, _created = wizard.wizard_character_start(
        org=org, user=user, attributes=dict(SAMPLE_ATTRIBUTES), key=KEY + "character"
    )
    character = Character.objects.get(pk=job.character_id)
    if character.base_image_id is None:
        first = (
            CharacterJobItem.objects.filter(job__character=character, job__kind=CharacterJob.Kind.CANDIDATES)
            .exclude(asset=None)
            .order_by("position", "pk")
            .select_related("asset")
            .first()
        )
        if first is not None and first.asset is not None:
            wizard.wizard_choose(character=character, asset=first.asset, user=user, key=KEY + "choose")
        character.refresh_from_db()
    return character


def _packs(character: Character, user: User) -> list[Asset]:
    """The sample packs, finished; their images, in the order of ``PACKS``."""
    if character.mode == "none":
        return []
    made: list[Asset] = []
    for name, recipe in PACKS:
        job = packs.pack_start(character=character, user=user, recipe=recipe, key=KEY + name)
        for image in job.images.exclude(asset=None).select_related("asset").order_by("position"):
            if image.asset is not None:
                made.append(image.asset)
    return made


def _collection(org: Organization, user: User, images: list[Asset]) -> None:
    collection = Collection.objects.for_org(org).filter(name=COLLECTION_NAME).first()
    if collection is None:
        collection = collection_create(
            org=org, user=user, name=COLLECTION_NAME, description="Sample images the demo provider made for Mara."
        )
    collection_add(collection=collection, ids=[str(asset.public_id) for asset in images])
