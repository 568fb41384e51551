"""What other apps do when a pack's image arrives in the library. An app above this one registers
a follow-up in its ``AppConfig.ready`` (video makes a clip of each image of a batch pack that asked
for one); each is called with the image's id after the delivery commits, in the worker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

ImageDelivered = Callable[[int], None]
_FOLLOW_UPS: list[ImageDelivered] = []


def on_image_delivered(follow_up: ImageDelivered) -> ImageDelivered:
    if follow_up not in _FOLLOW_UPS:
        _FOLLOW_UPS.append(follow_up)
    return follow_up


def image_delivered(image_id: int) -> None:
    """Run every follow-up for a delivered image; one that fails doesn't stop the others, nor the
    image's own delivery (already committed)."""
    for follow_up in _FOLLOW_UPS:
        try:
            follow_up(image_id)
        except Exception:
            log.exception("follow-up %s failed for pack image %s", follow_up.__qualname__, image_id)


_SETTLED: list[Callable[[int], None]] = []


def on_pack_settled(follow_up: Callable[[int], None]) -> Callable[[int], None]:
    """Called with a pack's id once its last image has settled (delivered, failed or cancelled)."""
    if follow_up not in _SETTLED:
        _SETTLED.append(follow_up)
    return follow_up


def pack_settled(job_id: int) -> None:
    for follow_up in _SETTLED:
        try:
            follow_up(job_id)
        except Exception:
            log.exception("follow-up %s failed for settled pack %s", follow_up.__qualname__, job_id)


# --- The library batch: what another app adds to a batch pack ------------------------------------------


class BatchExtra(Protocol):
    """Something a batch pack can ask for beyond its images (a clip of each, for video): ``check``
    refuses (``DomainError``) before the pack starts, ``started`` records it once the pack has."""

    def check(self, org, data, count: int) -> None: ...

    def started(self, job, data, user) -> None: ...


_BATCH_EXTRAS: list[BatchExtra] = []


def on_batch(extra: BatchExtra) -> BatchExtra:
    if extra not in _BATCH_EXTRAS:
        _BATCH_EXTRAS.append(extra)
    return extra


def batch_check(org, data, count: int) -> None:
    """Refuse a batch an extra can't do (``DomainError``), before anything starts."""
    for extra in _BATCH_EXTRAS:
        extra.check(org, data, count)


def batch_started(job, data, user) -> None:
    for extra in _BATCH_EXTRAS:
        extra.started(job, data, user)
