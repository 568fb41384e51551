"""What billing tells the rest of Personae when money moves. Emails, banners and usage pages
connect to these; billing sends them after the change is saved (inside the webhook's transaction,
so a receiver that needs to do slow work should use ``transaction.on_commit``).

- ``invoice_paid(org, invoice)``: a subscription invoice was paid (``invoice`` is Stripe's dict).
- ``payment_failed(org, invoice, grace_until)``: a renewal couldn't be charged; the plan stays on
  until ``grace_until`` while Stripe retries.
- ``plan_changed(org, old_plan, new_plan)``: the organisation moved to another plan.
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
