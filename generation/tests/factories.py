"""Generation rows for tests: edit jobs, packs and their images, prompt drafts.

Rows only, shaped like the ones ``generation.services`` / ``generation.packs`` make, with no provider
call and no hold unless passed (``hold=HoldFactory(...)``, ``call=ProviderCallFactory(...)``).
"""

from __future__ import annotations

import factory

from assets.tests.factories import AssetRowFactory
from billing.prices import operation_credits
from characters.tests.factories import CharacterFactory
from core.jobs import JobStatus
from generation import presets
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft
from tests.factories import OrganizationFactory


class EditJobFactory(factory.django.DjangoModelFactory):
    """A queued 2× upscale of a library item."""

    class Meta:
        model = EditJob

    org = factory.SubFactory(OrganizationFactory)
    kind = EditJob.Kind.UPSCALE
    status = JobStatus.QUEUED
    params = factory.LazyFunction(lambda: {"factor": 2})
    source = factory.SubFactory(AssetRowFactory, org=factory.SelfAttribute("..org"))
    source_title = factory.LazyAttribute(lambda o: o.source.title if o.source else "")
    operation = "upscale"
    credits = factory.LazyAttribute(lambda o: operation_credits(o.operation))


class GenerationJobFactory(factory.django.DjangoModelFactory):
    """A queued Studio pack: ``count`` draft face-swap images, 9:16."""

    class Meta:
        model = GenerationJob

    character = factory.SubFactory(CharacterFactory)
    org = factory.SelfAttribute("character.org")
    character_name = factory.SelfAttribute("character.name")
    status = JobStatus.QUEUED
    mode = GenerationJob.Mode.FACE_SWAP
    scene = "night_out"
    environment = "studio"
    aspect_ratio = presets.DEFAULT_ASPECT
    quality = "draft"
    count = 1
    operation = "image_pulid"
    width = factory.LazyAttribute(lambda o: presets.size(o.aspect_ratio, o.quality)[0])
    height = factory.LazyAttribute(lambda o: presets.size(o.aspect_ratio, o.quality)[1])
    steps = factory.LazyAttribute(lambda o: presets.QUALITIES_BY_KEY[o.quality].steps)
    price_per_image = factory.LazyAttribute(lambda o: operation_credits(presets.QUALITIES_BY_KEY[o.quality].operation))
    credits = factory.LazyAttribute(lambda o: o.price_per_image * o.count)


class GenerationImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GenerationImage

    job = factory.SubFactory(GenerationJobFactory)
    position = factory.LazyAttribute(lambda o: o.job.images.count())  # the next free one
    status = JobStatus.QUEUED
    seed = factory.Sequence(lambda n: 1000 + n)
    prompt = "A portrait at golden hour"


class PromptDraftFactory(factory.django.DjangoModelFactory):
    """A queued request for prompts from the Studio's choices."""

    class Meta:
        model = PromptDraft

    character = factory.SubFactory(CharacterFactory)
    org = factory.SelfAttribute("character.org")
    status = JobStatus.QUEUED
    count = 5
    credits = factory.LazyFunction(lambda: operation_credits("prompt_generation"))
