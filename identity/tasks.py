"""Identity tasks (ids in; enqueued on commit), on the ``identity`` queue: CPU work (dlib, ffmpeg)
that never waits in front of provider calls, nor makes them wait."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, max_retries=2, default_retry_delay=5, soft_time_limit=240, time_limit=300)
def asset_score(asset_id: int, character_id: int | None = None) -> None:
    """Score an image's or video's likeness to its character, then move a keepers run it belongs to."""
    from identity import keepers, scoring

    asset = scoring.asset_score(asset_id=asset_id, character_id=character_id)
    if asset is not None:
        keepers.keepers_advance_for_asset(asset_id=asset.pk)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def keepers_advance(keepers_id: int) -> None:
    """Look at a keepers run: start its next batch, or finish it."""
    from identity import keepers

    keepers.keepers_advance(keepers_id=keepers_id)


@shared_task
def keepers_sweep() -> int:
    """Beat: keepers runs whose last batch settled without a scored image to move them."""
    from identity import keepers

    return keepers.keepers_sweep()
