"""What the Stripe side tells the rest of billing. Sent by the webhook receivers after Stripe
confirms something about an organisation's subscription; received in ``billing.emails``, which
sends the receipt, failed-payment and plan-change emails and keeps the grace period of a failed
payment (``billing.dunning``).

Receivers must tolerate the same signal twice: Stripe retries webhooks.
"""

from django.dispatch import Signal

invoice_paid = Signal()
"""An invoice was paid. Kwargs: ``org`` (Organization) and ``invoice``, a dict with ``id``
(``in_…``), ``number``, ``amount_paid`` (in the currency's smallest unit, cents for USD),
``currency`` (``"usd"``), ``hosted_invoice_url``, ``invoice_pdf``, ``period_start`` and
``period_end`` (epoch seconds) and ``plan_name``; optionally ``credits_granted``, else the receipt
finds the grant keyed ``stripe-invoice:<id>`` in the ledger."""

payment_failed = Signal()
"""Charging an invoice failed. Kwargs: ``org``, ``invoice`` (the dict of ``invoice_paid``, with
``amount_due`` for what couldn't be charged) and ``grace_until`` (aware datetime): the organisation
keeps its plan until then, then has the Free plan's limits until an invoice is paid."""

plan_changed = Signal()
"""The organisation's plan changed, or will. Kwargs: ``org``, ``old_plan`` and ``new_plan``
(billing.Plan; ``old_plan`` may be None for a first subscription) and ``effective`` (aware
datetime when the change takes effect, or None if it already has)."""
