"""Settings of likeness licensing (docs/licensing.md), read from the environment like the rest of
``config.settings``, which star-imports the names in ``__all__``."""

from __future__ import annotations

from config.environment import env

__all__ = ["LICENSING_PAYOUT_MINIMUM_CENTS"]

# A creator's monthly royalty transfer is made once their balance reaches this (US cents); less
# stays owed and is paid with a later month's.
LICENSING_PAYOUT_MINIMUM_CENTS = env.int("LICENSING_PAYOUT_MINIMUM_CENTS", default=1000)
