"""Import from URL: the extension's Save buttons (and ``POST /api/v1/assets/import``) queue an
import; the worker fetches the media safely (``assets.fetching``) and runs it through the same
pipeline as an upload (sniffed, cleaned, thumbnails, dedupe). A file already in the library is
linked, not stored twice."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path, PurePath
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from assets import fetching, media
from assets.models import Asset, Collection, CollectionItem, MediaImport
from assets.services.pipeline import asset_create_from_original, original_prepared
from assets.services.uploads import _check_quota
from core.exceptions import DomainError
from orgs.models import Organization

logger = logging.getLogger(__name__)

SITES = {"pinterest", "instagram", "web"}


def import_start(
    *,
    org: Organization,
    user: User | None,
    media_url: str,
    page_url: str = "",
    author: str = "",
    caption: str = "",
    site: str = "web",
    collection: Collection | None = None,
    idempotency_key: str = "",
) -> tuple[MediaImport, bool]:
    """Queue an import; returns it and whether it is a replay of an earlier request with the same
    ``idempotency_key``. The address is checked now (a clear error at once, nothing queued) and
    again by the worker, hop by hop."""
    if idempotency_key:
        earlier = MediaImport.objects.for_org(org).filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier, True
    media_url = (media_url or "").strip()
    if not media_url:
        raise DomainError(
            "There is no picture or video on that page to save (a private or removed post shows none).",
            field="media_url",
        )
    if media_url.startswith(("blob:", "data:")):
        raise DomainError(
            "This video plays from the page itself, so its file can't be fetched. Open the post's own page "
            "and save it from there.",
            field="media_url",
        )
    fetching.check_url(media_url, fetching.policy_from_settings())
    if collection is not None and collection.org_id != org.pk:
        raise DomainError("That collection isn't in this organisation.", field="collection")
    try:
        with transaction.atomic():
            item = MediaImport.objects.create(
                org=org,
                created_by=user,
                media_url=media_url[:2000],
                page_url=_http_or_blank(page_url)[:2000],
                author=" ".join((author or "").split())[:200],
                caption=(caption or "").strip()[:5000],
                site=site if site in SITES else "web",
                collection=collection,
                idempotency_key=idempotency_key[:100],
            )
            transaction.on_commit(lambda: _queue(item.pk))
    except IntegrityError:  # the same key, sent twice at once
        return MediaImport.objects.for_org(org).get(idempotency_key=idempotency_key), True
    return item, False


def _queue(import_id: int) -> None:
    from assets.tasks import run_import

    run_import.delay(import_id)


def _http_or_blank(url: str) -> str:
    url = (url or "").strip()
    return url if urlsplit(url).scheme in ("http", "https") else ""


def import_run(*, import_id: int, client=None) -> None:
    """Worker: fetch, check and store one import. Idempotent (only a queued import is claimed)."""
    claimed = MediaImport.objects.filter(pk=import_id, status=MediaImport.Status.QUEUED).update(
        status=MediaImport.Status.FETCHING, updated_at=timezone.now()
    )
    if not claimed:
        return
    item = MediaImport.objects.select_related("org__plan", "created_by", "collection").get(pk=import_id)
    try:
        asset, duplicate = _fetch_and_store(item, client=client)
    except (fetching.FetchError, DomainError) as exc:
        _finish(item, MediaImport.Status.FAILED, error=exc.text)
        return
    except media.MediaError as exc:
        _finish(item, MediaImport.Status.FAILED, error=exc.message)
        return
    except Exception:
        logger.exception("Import %s failed", import_id)
        _finish(item, MediaImport.Status.FAILED, error="Something went wrong while saving this. Try again.")
        return
    if item.collection_id:
        CollectionItem.objects.get_or_create(collection_id=item.collection_id, asset=asset)
    _finish(item, MediaImport.Status.DUPLICATE if duplicate else MediaImport.Status.DONE, asset=asset)


def _fetch_and_store(item: MediaImport, *, client=None) -> tuple[Asset, bool]:
    policy = fetching.policy_from_settings()
    with tempfile.TemporaryDirectory(prefix="personae-import-") as work:
        folder = Path(work)
        fetched = fetching.safe_fetch(item.media_url, folder / "download", policy, client=client)
        path = fetched.path
        if fetched.kind == "hls":
            path = folder / "video.mp4"
            fetching.fetch_hls(fetched, path, policy, client=client)
        with original_prepared(path) as original:
            existing = Asset.objects.for_org(item.org).filter(sha256=original.sha256).first()
            if existing is not None:
                return existing, True
            _check_quota(item.org, original.size)
            asset = asset_create_from_original(
                org=item.org,
                original=original,
                filename=_filename(item, fetched.final_url, original.sniffed.extension),
                source=Asset.Source.EXTENSION,
                created_by=item.created_by,
                title=_title(item),
                metadata={"import": _provenance(item, fetched.final_url)},
            )
    return asset, False


def _provenance(item: MediaImport, final_url: str) -> dict:
    return {
        "site": item.site,
        "page_url": item.page_url,
        "media_url": item.media_url,
        **({"fetched_from": final_url} if final_url != item.media_url else {}),
        "author": item.author,
        "caption": item.caption,
        "import": str(item.public_id),
    }


def _filename(item: MediaImport, url: str, extension: str) -> str:
    stem = PurePath(urlsplit(url).path).stem or "saved"
    return f"{stem[:100]}.{extension}"


def _title(item: MediaImport) -> str:
    if item.caption:
        first = item.caption.splitlines()[0].strip()
        if first:
            return first[:120]
    site = {"pinterest": "Pinterest", "instagram": "Instagram"}.get(item.site, "the web")
    return f"Saved from {site}" + (f" · {item.author}" if item.author else "")


def _finish(item: MediaImport, status: str, *, asset: Asset | None = None, error: str = "") -> None:
    MediaImport.objects.filter(pk=item.pk, status=MediaImport.Status.FETCHING).update(
        status=status, asset=asset, error=error[:500], updated_at=timezone.now()
    )
