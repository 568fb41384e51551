"""What billing tells the rest of Personae when money moves. Emails, banners and usage pages
connect to these; billing sends them inside the webhook's transaction, after the change is saved,
so a receiver doing slow work (an email) uses ``transaction.on_commit``: a rollback sends nothing.

- ``invoice_paid(org, invoice)``: a subscription invoice was paid. ``invoice`` is Stripe's invoice
  dict (``id``, ``number``, ``amount_paid`` in the smallest currency unit, ``currency``,
  ``hosted_invoice_url``, ``invoice_pdf``, ``period_start``/``period_end`` in epoch seconds); the
  plan's credits were granted before it is sent (ledger key ``stripe-invoice:<id>``).
- ``payment_failed(org, invoice, grace_until)``: a renewal couldn't be charged (``invoice`` as
  above, with ``amount_due``); the plan stays on until ``grace_until`` (an aware datetime) while
  Stripe retries.
- ``plan_changed(org, old_plan, new_plan, effective=None)``: the organisation moved to another plan
  (``old_plan`` None for a first subscription; ``effective`` None when the change is already made).
- ``credits_granted(org, amount, entry, reason)``: credits arrived (``reason``: "plan" or "top-up").
- ``credits_clawed_back(org, amount, entry, reason)``: top-up credits were taken back after a refund
  or a dispute (``reason``: "refund" or "dispute").
"""

from django.dispatch import Signal

invoice_paid = Signal()
payment_failed = Signal()
plan_changed = Signal()
credits_granted = Signal()
credits_clawed_back = Signal()
