"""Credit holds for tests. A hold is made the way jobs make theirs, through ``hold_reserve``, so the
account's ``held`` and the ledger stay consistent (a hand-built ``Hold`` row would break both)."""

from __future__ import annotations

import factory

from billing import services
from billing.models import Hold
from tests.factories import OrganizationFactory


class HoldFactory(factory.Factory):
    """An active hold of ``amount`` credits. ``grant`` credits (``amount`` by default) are given to
    the org first so the reserve succeeds; pass ``grant=0`` to draw on credits it already has."""

    class Meta:
        model = Hold

    org = factory.SubFactory(OrganizationFactory)
    amount = 8
    grant = factory.SelfAttribute("amount")
    key = factory.Sequence(lambda n: f"test-hold:{n}")
    operation = "upscale"
    description = "Test hold"
    subject = None
    user = None

    @classmethod
    def _create(cls, model_class, *, org, grant: int, key: str, **kwargs) -> Hold:
        if grant:
            services.credits_grant(org=org, amount=grant, key=f"{key}:grant", description="Test credits")
        return services.hold_reserve(org=org, key=key, **kwargs)
