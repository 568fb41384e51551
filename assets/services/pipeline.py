"""Creating assets: every file, whatever its origin (an upload, bytes another app made, a URL, a
provider's output), is sniffed, checked and processed the same way before it becomes an asset."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePath

import httpx
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from accounts.models import User
from assets import media, storage
from assets.models import Asset
from core.exceptions import DomainError
from orgs.models import Organization

CHUNK = 1024 * 1024


def clean_filename(name: str) -> str:
    """The last path component, without control characters; kept for display and downloads only."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\r\n\t")
    return name.strip().lstrip(".")[:255] or "untitled"


def title_from_filename(name: str) -> str:
    stem = Path(clean_filename(name)).stem
    return re.sub(r"[_]+", " ", stem).strip()[:200] or "Untitled"


def _human_bytes(n: int) -> str:
    """Sizes in messages read the same as on the page (Django's filesizeformat)."""
    return filesizeformat(n).replace("\xa0", " ")


def search_document(asset: Asset, tags: Iterable[str]) -> str:
    """What the library search matches for ``asset``, lower-cased: its title, file name, tags,
    prompt and caption (a generation's recipe, or the caption of a picture saved from the web)."""
    recipe = asset.recipe or {}
    caption = recipe.get("caption") or (asset.metadata.get("import") or {}).get("caption") or ""
    parts = [asset.title, asset.original_filename, " ".join(tags), asset.prompt, caption]
    return " ".join(" ".join(str(part).split()) for part in parts if part).lower()


def asset_reindex(asset_id: int) -> None:
    """Refresh what the library search matches (title, file name, tags, prompt, caption)."""
    asset = Asset.objects.get(pk=asset_id)
    text = search_document(asset, asset.tags.values_list("name", flat=True))
    Asset.objects.filter(pk=asset_id).update(search_text=text)


@contextmanager
def uploaded_file_path(upload):
    """A file posted to a form, as a path on disk (Django keeps small uploads in memory; the
    processing tools need a path). A temporary copy is removed afterwards."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    fd, path = tempfile.mkstemp(prefix="personae-upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield Path(path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


# --- The pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    """A file as the library keeps it: checked, cleaned (assets/media/cleaning.py) and processed."""

    path: Path  # the cleaned file; valid only inside ``original_prepared``
    sniffed: media.Sniffed
    size: int
    sha256: str
    result: media.ImageResult | media.VideoResult
    removed: tuple[str, ...]  # what cleaning took out, in words for the uploader


@contextmanager
def original_prepared(path: Path) -> Iterator[Original]:
    """Sniff, size-check, clean and process a local file. Raises ``media.MediaError``.

    Images are cleaned first and the cleaned file is decoded (so what we keep is proven to be a
    picture); videos are probed first (limits before the work of rewriting them), then remuxed.
    """
    sniffed = media.sniff(path)
    media.check_size(sniffed.kind, path.stat().st_size)
    result: media.ImageResult | media.VideoResult | None = None
    if sniffed.kind == "video":
        result = media.process_video(path, sniffed)
    with media.clean_original(path, sniffed) as cleaned:
        if result is None:
            result = media.process_image(cleaned.path, sniffed)
        yield Original(
            path=cleaned.path,
            sniffed=sniffed,
            size=cleaned.path.stat().st_size,
            sha256=media.sha256_file(cleaned.path),
            result=result,
            removed=cleaned.removed,
        )


def asset_create_from_file(*, org: Organization, path: Path, **kwargs) -> Asset:
    """Validate, clean, process and store a local file as a new asset (the file itself is left as
    it is). Raises ``media.MediaError``. Keyword arguments as for ``asset_create_from_original``."""
    with original_prepared(path) as original:
        return asset_create_from_original(org=org, original=original, **kwargs)


def asset_create_from_original(
    *,
    org: Organization,
    original: Original,
    filename: str,
    source: str = Asset.Source.UPLOAD,
    created_by: User | None = None,
    title: str = "",
    parents: Iterable[Asset] = (),
    metadata: dict | None = None,
    nsfw: bool = False,
) -> Asset:
    """Store a prepared original and its renditions as a new asset.

    Storage writes happen before the row is committed; if anything fails they are removed, and a
    crash in between leaves only orphans that housekeeping deletes.
    """
    sniffed, result = original.sniffed, original.result
    renditions: dict[str, media.Rendition]
    if isinstance(result, media.VideoResult):
        renditions = {"poster": result.poster, "thumb": result.thumb}
        if result.scrub is not None:
            renditions["scrub"] = result.scrub
        duration: float | None = result.duration
    else:
        renditions = {"preview": result.preview, "thumb": result.thumb}
        duration = None
    media_metadata = {**result.metadata, **({"cleaned": list(original.removed)} if original.removed else {})}
    asset = Asset(
        org=org,
        kind=sniffed.kind,
        source=source,
        title=(title or title_from_filename(filename))[:200],
        original_filename=clean_filename(filename),
        mime=sniffed.mime,
        bytes=original.size,
        width=result.width,
        height=result.height,
        duration=duration,
        sha256=original.sha256,
        phash=result.phash,
        metadata={**(metadata or {}), "media": media_metadata},
        nsfw=nsfw,
        created_by=created_by,
    )
    written: list[str] = []
    try:
        asset.original_key = storage.asset_key(org, asset, "original", sniffed.extension)
        with original.path.open("rb") as fh:
            written.append(storage.storage().save(asset.original_key, File(fh)))
        asset.original_key = written[-1]
        stored = original.size
        for name, rendition in renditions.items():
            ext = "webp" if rendition.mime == "image/webp" else "jpg"
            key = storage.storage().save(storage.asset_key(org, asset, name, ext), ContentFile(rendition.data))
            written.append(key)
            asset.variants[name] = key
            stored += len(rendition.data)
        asset.stored_bytes = stored
        with transaction.atomic():
            asset.near_duplicate_of = _near_duplicate(org, asset.phash)
            asset.save()
            if parents:
                asset.parents.set(list(parents))
            asset_reindex(asset.pk)
    except BaseException:
        for key in written:
            with suppress(Exception):
                storage.delete(key)
        raise
    return asset


def _near_duplicate(org: Organization, phash: int | None) -> Asset | None:
    if phash is None:
        return None
    from django.db.models.expressions import RawSQL

    distance = RawSQL("bit_count((phash # %s)::bit(64))", (phash,))
    return (
        Asset.objects.for_org(org)
        .exclude(phash__isnull=True)
        .annotate(distance=distance)
        .filter(distance__lte=media.NEAR_DUPLICATE_DISTANCE)
        .order_by("distance", "created_at")
        .first()
    )


def asset_create_from_bytes(*, org: Organization, data: bytes, filename: str, **kwargs) -> Asset:
    fd, path = tempfile.mkstemp(prefix="personae-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return asset_create_from_file(org=org, path=Path(path), filename=filename, **kwargs)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


def asset_create_from_url(
    *, org: Organization, url: str, filename: str = "", max_bytes: int | None = None, client=None, **kwargs
) -> Asset:
    """Fetch ``url`` (streamed, size-capped) into the library. Network errors raise ``DomainError``."""
    max_bytes = max_bytes or media.LIMITS.max_video_bytes
    fd, path = tempfile.mkstemp(prefix="personae-")
    try:
        try:
            with (
                client or httpx.Client(timeout=60, follow_redirects=True) as http,
                http.stream("GET", url) as response,
            ):
                if response.status_code >= 400:
                    raise DomainError(f"The file couldn't be fetched (the server answered {response.status_code}).")
                received = 0
                with os.fdopen(fd, "wb") as fh:
                    for chunk in response.iter_bytes(CHUNK):
                        received += len(chunk)
                        if received > max_bytes:
                            raise DomainError(f"The file is larger than {_human_bytes(max_bytes)}.")
                        fh.write(chunk)
        except httpx.HTTPError as exc:
            raise DomainError(f"The file couldn't be fetched ({exc.__class__.__name__}).") from exc
        name = filename or PurePath(httpx.URL(url).path).name or "download"
        return asset_create_from_file(org=org, path=Path(path), filename=name, **kwargs)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)


def asset_create_from_provider_output(
    *, org: Organization, url: str, recipe: dict, parents: Iterable[Asset] = (), source=Asset.Source.GENERATED, **kwargs
) -> Asset:
    """Copy a provider's output (its URLs expire) into our storage, with the recipe that made it."""
    return asset_create_from_url(
        org=org, url=url, source=source, parents=parents, metadata={"recipe": recipe}, **kwargs
    )


def asset_create_file(
    *,
    org: Organization,
    key: str,
    filename: str,
    title: str,
    mime: str = "application/octet-stream",
    source: str = Asset.Source.GENERATED,
    created_by: User | None = None,
    metadata: dict | None = None,
) -> Asset:
    """A library row (kind FILE) for a non-media file already stored at ``key`` (e.g. a trained
    LoRA at ``storage.lora_key``). No renditions; deleting the asset deletes the file."""
    if not storage.key_belongs_to(org, key):
        raise ValueError(f"{key!r} is not in {org}'s storage")
    digest = hashlib.sha256()
    size = 0
    with storage.storage().open(key, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    asset = Asset.objects.create(
        org=org,
        kind=Asset.Kind.FILE,
        source=source,
        title=title[:200],
        original_filename=clean_filename(filename),
        original_key=key,
        mime=mime,
        bytes=size,
        stored_bytes=size,
        sha256=digest.hexdigest(),
        metadata=metadata or {},
        created_by=created_by,
    )
    asset_reindex(asset.pk)
    return asset
