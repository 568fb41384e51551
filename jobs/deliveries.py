"""What other apps do when a job delivers a result to the library. An app above this one registers
a follow-up in its ``AppConfig.ready`` (identity scores the likeness of every delivered image and
video); each is called, after the delivery commits, with the new asset's id and the id of the
character it should look like (None when it was made for no character)."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

AssetDelivered = Callable[[int, int | None], None]
_FOLLOW_UPS: list[AssetDelivered] = []


def on_asset_delivered(follow_up: AssetDelivered) -> AssetDelivered:
    if follow_up not in _FOLLOW_UPS:
        _FOLLOW_UPS.append(follow_up)
    return follow_up


def asset_delivered(asset_id: int, character_id: int | None) -> None:
    """Run every follow-up; one that fails doesn't stop the others, nor the delivery (committed)."""
    for follow_up in _FOLLOW_UPS:
        try:
            follow_up(asset_id, character_id)
        except Exception:
            log.exception("follow-up %s failed for delivered asset %s", follow_up.__qualname__, asset_id)
