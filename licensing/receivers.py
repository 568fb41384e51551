"""dj-stripe webhook receivers for Connect: ``account.updated`` moves a creator's payouts."""

from djstripe.event_handlers import djstripe_receiver

from licensing import services


@djstripe_receiver("account.updated")
def on_account_updated(sender, event, **kwargs):
    services.connect_account_updated(event.data["object"])
