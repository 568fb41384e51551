"""Zip exports of a selection: created here, built by a worker, served from storage."""

from __future__ import annotations

import logging
import os
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assets import storage
from assets.models import Asset, Export
from assets.services.library import selected_assets
from assets.services.pipeline import CHUNK
from core.exceptions import DomainError
from orgs.models import Organization

logger = logging.getLogger(__name__)


@transaction.atomic
def export_create(*, org: Organization, user: User, ids: list[str]) -> Export:
    from assets.tasks import build_export

    asset_ids = list(selected_assets(org, ids).values_list("pk", flat=True))
    if not asset_ids:
        raise DomainError("None of the selected items exist any more.")
    export = Export.objects.create(org=org, asset_ids=asset_ids, created_by=user)
    transaction.on_commit(lambda: build_export.delay(export.pk))
    return export


# What apps above this one write into each exported file's metadata (identity: its lineage), as
# ``describe(asset) -> str`` ('' for nothing); registered in their ``AppConfig.ready``.
Describe = Callable[[Asset], str]
_DESCRIBERS: list[Describe] = []
EMBED_MAX_BYTES = 50 * 1024 * 1024  # larger images are copied as they are


def on_export(describe: Describe) -> Describe:
    if describe not in _DESCRIBERS:
        _DESCRIBERS.append(describe)
    return describe


def _description(asset: Asset) -> str:
    parts = []
    for describe in _DESCRIBERS:
        try:
            if text := describe(asset):
                parts.append(text)
        except Exception:
            logger.exception("describing asset %s for an export failed", asset.pk)
    return "\n\n".join(parts)


def with_comment(data: bytes, text: str) -> bytes:
    """``data`` (a JPEG or PNG) with ``text`` in its metadata, pixels untouched: a JPEG comment
    (COM) segment after the start marker, or a PNG ``iTXt`` chunk "Comment" after the header.
    Anything else comes back unchanged."""
    payload = text.encode("utf-8")
    if data[:2] == b"\xff\xd8":
        payload = payload[:65533]
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        end = 8 + 4 + 4 + struct.unpack(">I", data[8:12])[0] + 4
        body = b"Comment\x00\x00\x00\x00\x00" + payload
        chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
        return data[:end] + chunk + data[end:]
    return data


def _copy_into(asset: Asset, dst) -> None:
    text = _description(asset) if asset.kind == Asset.Kind.IMAGE and asset.bytes <= EMBED_MAX_BYTES else ""
    with storage.storage().open(asset.original_key, "rb") as src:
        if text:
            dst.write(with_comment(src.read(), text))
        else:
            shutil.copyfileobj(src, dst, CHUNK)


def export_build(*, export_id: int) -> None:
    """Worker: write the zip to a temp file entry by entry, then store it. Idempotent."""
    if not Export.objects.filter(pk=export_id, status=Export.Status.QUEUED).update(
        status=Export.Status.RUNNING, updated_at=timezone.now()
    ):
        return
    export = Export.objects.select_related("org").get(pk=export_id)
    assets = list(Asset.objects.for_org(export.org).filter(pk__in=export.asset_ids).order_by("created_at"))
    fd, path = tempfile.mkstemp(prefix="personae-export-", suffix=".zip")
    os.close(fd)
    try:
        used_names: set[str] = set()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for index, asset in enumerate(assets, start=1):
                name = _unique_member_name(asset, used_names)
                with archive.open(name, "w") as dst:
                    _copy_into(asset, dst)
                Export.objects.filter(pk=export.pk).update(progress=min(99, index * 100 // max(len(assets), 1)))
        key = storage.export_key(export.org, export)
        with open(path, "rb") as fh:
            key = storage.storage().save(key, File(fh))
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.READY,
            progress=100,
            key=key,
            bytes=os.path.getsize(path),
            expires_at=timezone.now() + timedelta(hours=settings.EXPORT_TTL_HOURS),
            updated_at=timezone.now(),
        )
    except Exception:
        logger.exception("Export %s failed", export_id)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error="The zip couldn't be built. Try again.", updated_at=timezone.now()
        )
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


def _unique_member_name(asset: Asset, used: set[str]) -> str:
    extension = Path(asset.original_key).suffix
    base = re.sub(r"[^\w\- ]+", "_", asset.title).strip() or "asset"
    name, n = f"{base}{extension}", 2
    while name.lower() in used:
        name, n = f"{base} ({n}){extension}", n + 1
    used.add(name.lower())
    return name
