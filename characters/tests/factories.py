"""Character rows for tests: a character, its dataset photos, a training run and pipeline jobs.

Rows only, as a pipeline leaves them; the services (``dataset``, ``training``, ``wizard``) are what
make them in the product. Pass ``hold=HoldFactory(...)`` for a job that holds credits.
"""

from __future__ import annotations

import factory

from assets.tests.factories import AssetFactory
from billing.prices import operation_credits
from characters.models import Character, CharacterJob, CharacterJobItem, DatasetImage, TrainingRun
from core.jobs import JobStatus
from tests.factories import OrganizationFactory


class CharacterFactory(factory.django.DjangoModelFactory):
    """A photo character with nothing trained yet."""

    class Meta:
        model = Character

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Ava Stone {n}")
    origin = Character.Origin.PHOTOS
    gender = "female"
    age = 29


class DatasetImageFactory(factory.django.DjangoModelFactory):
    """A training photo (a real small JPEG in storage), not analysed yet."""

    class Meta:
        model = DatasetImage

    character = factory.SubFactory(CharacterFactory)
    org = factory.SelfAttribute("character.org")
    asset = factory.SubFactory(AssetFactory, org=factory.SelfAttribute("..org"))
    bucket = DatasetImage.Bucket.CLOSEUP
    position = factory.LazyAttribute(lambda o: o.character.dataset.count())  # after the others


class TrainingRunFactory(factory.django.DjangoModelFactory):
    """A queued face-model training on the character's uploaded photos."""

    class Meta:
        model = TrainingRun

    character = factory.SubFactory(CharacterFactory)
    org = factory.SelfAttribute("character.org")
    status = JobStatus.QUEUED
    source = TrainingRun.Source.PHOTOS
    trigger_word = factory.SelfAttribute("character.trigger_word")
    steps = 1000
    credits = factory.LazyFunction(lambda: operation_credits("lora_training"))


# What each kind of job is priced as; references and captions come with the training.
JOB_OPERATIONS = {CharacterJob.Kind.CANDIDATES: "wizard_candidates", CharacterJob.Kind.SHEET: "character_sheet"}


class CharacterJobFactory(factory.django.DjangoModelFactory):
    """A queued job of a wizard character: the four base-image candidates unless ``kind=`` says otherwise."""

    class Meta:
        model = CharacterJob

    character = factory.SubFactory(CharacterFactory, origin=Character.Origin.WIZARD)
    org = factory.SelfAttribute("character.org")
    kind = CharacterJob.Kind.CANDIDATES
    status = JobStatus.QUEUED
    operation = factory.LazyAttribute(lambda o: JOB_OPERATIONS.get(o.kind, ""))
    credits = factory.LazyAttribute(lambda o: operation_credits(o.operation) if o.operation else 0)


class CharacterJobItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CharacterJobItem

    job = factory.SubFactory(CharacterJobFactory)
    position = factory.LazyAttribute(lambda o: o.job.items.count())  # after the others
    status = JobStatus.QUEUED
