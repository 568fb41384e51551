"""Each refusal of the screen also goes in the organisation's audit log (audit/), once it commits."""

from django.dispatch import receiver

from audit import receivers as audit_receivers
from safety.signals import safety_refused


@receiver(safety_refused, dispatch_uid="safety.receivers.audit_refusal")
def audit_refusal(sender, *, event, org, user, where, **kwargs) -> None:
    audit_receivers.safety_refused(
        org=org,
        user=user,
        where=where,
        reason=event.reason or f"{event.rule or 'screen'}: “{event.matched}”",
        text=event.text,
        decided_by=event.decided_by,
        nsfw=event.nsfw,
        event=str(event.public_id),
    )
