"""Events no service of ours sees happen: a sign-up is allauth's (``user_signed_up``)."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from analytics.services import track


@receiver(user_signed_up, dispatch_uid="analytics_signed_up")
def signed_up(sender, request, user, **kwargs) -> None:
    track("signed_up", user=user, method="social" if kwargs.get("sociallogin") else "email")
