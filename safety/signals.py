"""``safety_refused``: sent once the transaction that recorded a refusal commits.

Receivers are called ``receiver(sender=SafetyEvent, event=<SafetyEvent>, org=<Organization | None>,
user=<User | None>, where=<str>, **kwargs)``. The audit log connects to it.
"""

from django.dispatch import Signal

safety_refused = Signal()
