"""Create or update the Stripe products and monthly prices for the paid plans and the top-up packs,
in whichever Stripe is active (the local test-mode one without STRIPE_SECRET_KEY), and store each
plan's price id. Safe to run again: a price whose amount still matches is kept."""

from typing import Any

import stripe
from django.core.management.base import BaseCommand

from billing import stripe_setup
from billing.checkout import PLAN_LOOKUP_PREFIX, TOPUPS
from billing.models import Plan


def _price(
    lookup_key: str, *, name: str, description: str, amount: int, recurring: bool, opts: dict[str, Any]
) -> tuple[str, bool]:
    found = stripe.Price.list(lookup_keys=[lookup_key], active=True, **opts).data
    if found and found[0].unit_amount == amount and bool(found[0].recurring) == recurring:
        return found[0].id, False
    extra: dict[str, Any] = {"description": description} if description else {}
    product = stripe.Product.create(name=name, metadata={"lookup_key": lookup_key}, **extra, **opts)
    params: dict[str, Any] = {"recurring": {"interval": "month"}} if recurring else {}
    price = stripe.Price.create(
        product=product.id,
        currency="usd",
        unit_amount=amount,
        nickname=name,
        lookup_key=lookup_key,
        transfer_lookup_key=True,
        **params,
        **opts,
    )
    return price.id, True


class Command(BaseCommand):
    help = "Create or update Stripe products and prices for the plans and top-up packs; store the price ids."

    def handle(self, *args, **options):
        opts = stripe_setup.api_options()
        where = "the local test-mode Stripe" if stripe_setup.is_local() else "Stripe"
        for plan in Plan.objects.exclude(price_cents=0):
            price_id, created = _price(
                PLAN_LOOKUP_PREFIX + plan.slug,
                name=f"Personae {plan.name}",
                description=plan.tagline,
                amount=plan.price_cents,
                recurring=True,
                opts=opts,
            )
            if plan.stripe_price_id != price_id:
                plan.stripe_price_id = price_id
                plan.save(update_fields=["stripe_price_id"])
            self.stdout.write(f"{plan.name}: {price_id} ({'created' if created else 'unchanged'}) in {where}")
        for topup in TOPUPS:
            price_id, created = _price(
                topup.lookup_key,
                name=f"Personae top-up: {topup.name}",
                description="Credits that never expire.",
                amount=topup.price_cents,
                recurring=False,
                opts=opts,
            )
            self.stdout.write(f"Top-up {topup.name}: {price_id} ({'created' if created else 'unchanged'}) in {where}")
