"""What identity does when other apps deliver: every image or video delivered for a character is
scored for likeness (``jobs.deliveries``), a keepers run hears when one of its packs settles, and
exported images carry their lineage in their metadata (``assets.services.exports``)."""

from __future__ import annotations

from assets.services import exports
from generation import followups
from jobs import deliveries


def _score_delivered(asset_id: int, character_id: int | None) -> None:
    from identity import scoring, tasks

    if character_id is None:
        return
    scoring.asset_score_pending(asset_id=asset_id)
    tasks.asset_score.delay(asset_id, character_id)


def _pack_settled(job_id: int) -> None:
    from identity import keepers

    keepers.keepers_advance_for_pack(pack_id=job_id)


def _lineage_text(asset) -> str:
    from identity import lineage

    return lineage.lineage_summary(asset)


def connect() -> None:
    deliveries.on_asset_delivered(_score_delivered)
    exports.on_export(_lineage_text)
    followups.on_pack_settled(_pack_settled)
