"""Provider call rows for tests: a pending call to the upscaler, handled by edit jobs. The gateway
(``gateway.call_create``) is what makes calls in the product; this factory makes only the row."""

from __future__ import annotations

import factory

from providers import registry
from providers.models import ProviderCall
from tests.factories import OrganizationFactory


class ProviderCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderCall

    org = factory.SubFactory(OrganizationFactory)
    operation = "upscale"
    provider = factory.LazyAttribute(lambda o: registry.ENDPOINTS[o.operation].provider)
    endpoint_id = factory.LazyAttribute(lambda o: registry.ENDPOINTS[o.operation].endpoint_id)
    input = factory.LazyFunction(dict)
    status = ProviderCall.Status.PENDING
    handler = "generation.services.edit_job_on_call"
