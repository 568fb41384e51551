"""Assets, uploads and collections: the library's own services and selectors, by API key."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from api.auth import caller, scoped
from api.errors import ErrorOut
from api.models import Scope
from api.routers.serialize import asset_json, collection_json, upload_json
from assets import selectors, services, storage
from assets.models import Upload
from core.exceptions import DomainError

router = Router(tags=["assets"])
uploads_router = Router(tags=["uploads"])
collections_router = Router(tags=["collections"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


class AssetOut(Schema):
    id: UUID
    kind: str
    source: str
    title: str
    width: int | None
    height: int | None
    duration: float | None
    nsfw: bool
    liked: bool
    created_at: datetime
    thumbnail_url: str
    preview_url: str


class AssetDetailOut(AssetOut):
    mime: str
    bytes: int
    original_filename: str
    original_url: str
    tags: list[str]
    collections: list[UUID]
    character: UUID | None
    metadata: dict


class AssetPage(Schema):
    items: list[AssetOut]
    next_cursor: str = Field(description="Pass as ?cursor= for the next page; '' on the last page.")


class AssetFilters(Schema):
    kind: str = Field("", description="image, video or file")
    source: str = Field("", description="upload, generated, edited, extension or import")
    tag: str = Field("", description="A tag's name")
    collection: UUID | None = Field(None, description="A collection's id")
    liked: bool = False
    nsfw: str = Field("", description="'' all, 'hide' or 'only'")
    date_from: date | None = None
    date_to: date | None = None
    q: str = Field(
        "", description="Search names, tags, prompts and captions (substrings, prefixes, small typos); best match first"
    )
    cursor: str = ""
    limit: int = Field(50, ge=1, le=100)


class UploadOut(Schema):
    id: UUID
    filename: str
    size: int
    status: str = Field(description="pending, received, processing, done, duplicate, failed or cancelled")
    error: str
    asset: UUID | None
    created_at: datetime


class AssetUpdateIn(Schema):
    title: str | None = None
    tags: list[str] | None = Field(None, description="Replaces the asset's tags.")
    add_to_collections: list[UUID] = Field(default_factory=list)
    remove_from_collections: list[UUID] = Field(default_factory=list)


@router.get("", auth=scoped(Scope.READ), response={200: AssetPage, **ERRORS}, summary="List and search the library")
def asset_list(request: HttpRequest, filters: Query[AssetFilters]):
    """Newest first, a page at a time (keyset cursor). Scope: read."""
    who = caller(request)
    tag_id = ""
    if filters.tag:
        tag = selectors.tags_for_org(who.org).filter(name__iexact=filters.tag).first()
        if tag is None:
            return {"items": [], "next_cursor": ""}
        tag_id = str(tag.public_id)
    library_filters = selectors.LibraryFilters(
        kind=filters.kind,
        source=filters.source,
        tag=tag_id,
        collection=str(filters.collection or ""),
        liked=filters.liked,
        nsfw=filters.nsfw,
        date_from=filters.date_from,
        date_to=filters.date_to,
        q=filters.q.strip(),
    )
    assets, next_cursor = selectors.asset_page(who.org, library_filters, cursor=filters.cursor, size=filters.limit)
    return {"items": [asset_json(a) for a in assets], "next_cursor": next_cursor}


@router.post(
    "",
    auth=scoped(Scope.ASSETS_WRITE),
    response={202: UploadOut, 413: ErrorOut, **ERRORS},
    summary="Upload a file (multipart)",
)
def asset_upload(request: HttpRequest, file: File[UploadedFile]):
    """Send one image or video as ``multipart/form-data`` (field ``file``). The answer is the upload:
    it becomes an asset once processed; poll ``GET /uploads/{id}`` for its ``asset``. A file that is
    already in the library ends as ``duplicate`` with that asset. Scope: assets:write."""
    who = caller(request)
    upload, _target = services.upload_start(
        org=who.org,
        user=who.key.created_by,
        filename=file.name or "upload",
        size=file.size or 0,
        content_type=file.content_type or "",
    )
    try:
        services.upload_receive(upload=upload, stream=file, content_length=file.size)
        upload = services.upload_complete(upload=upload)
    except DomainError:
        services.upload_cancel(upload=upload)
        raise
    return Status(202, upload_json(upload))


@router.get("{asset_id}", auth=scoped(Scope.READ), response={200: AssetDetailOut, **ERRORS}, summary="One asset")
def asset_get(request: HttpRequest, asset_id: UUID):
    """With its tags, collections and signed URLs (valid for a few minutes). Scope: read."""
    who = caller(request)
    return asset_json(selectors.asset_or_404(who.org, asset_id), full=True)


@router.patch(
    "{asset_id}",
    auth=scoped(Scope.ASSETS_WRITE),
    response={200: AssetDetailOut, **ERRORS},
    summary="Rename, tag, file in collections",
)
def asset_update(request: HttpRequest, asset_id: UUID, payload: AssetUpdateIn):
    """Only the fields sent change. Collections are checked before anything changes: another
    organisation's collection is a 404 and nothing is applied. Scope: assets:write."""
    who = caller(request)
    asset = selectors.asset_or_404(who.org, asset_id)
    adding = [selectors.collection_or_404(who.org, c) for c in payload.add_to_collections]
    removing = [selectors.collection_or_404(who.org, c) for c in payload.remove_from_collections]
    with transaction.atomic():
        if payload.title is not None:
            services.asset_rename(asset=asset, title=payload.title)
        if payload.tags is not None:
            if any(len(t.strip()) > 50 for t in payload.tags):
                raise DomainError("Tags can be up to 50 characters each.", field="tags")
            services.asset_set_tags(asset=asset, text=", ".join(payload.tags))
        for collection in adding:
            services.collection_add(collection=collection, ids=[str(asset.public_id)])
        for collection in removing:
            services.collection_remove(collection=collection, ids=[str(asset.public_id)])
    return asset_json(selectors.asset_or_404(who.org, asset_id), full=True)


@router.delete("{asset_id}", auth=scoped(Scope.ASSETS_WRITE), response={204: None, **ERRORS}, summary="Delete an asset")
def asset_delete(request: HttpRequest, asset_id: UUID):
    """Deletes the asset and its files. Scope: assets:write."""
    who = caller(request)
    services.asset_delete(asset=selectors.asset_or_404(who.org, asset_id))
    return Status(204, None)


# --- Direct uploads -----------------------------------------------------------------------------


class UploadIn(Schema):
    filename: str = Field(max_length=255)
    size: int = Field(gt=0, description="Bytes; the PUT must send exactly this many.")
    content_type: str = Field("", max_length=100)


class UploadTarget(Schema):
    method: str
    url: str
    headers: dict[str, str]


class UploadStartOut(Schema):
    upload: UploadOut
    target: UploadTarget = Field(description="Send the file's bytes with this request, then call complete.")


@uploads_router.post(
    "", auth=scoped(Scope.ASSETS_WRITE), response={201: UploadStartOut, **ERRORS}, summary="Start a direct upload"
)
def upload_start(request: HttpRequest, payload: UploadIn):
    """Declare a file (type and size are checked against the plan's storage). Then send its bytes
    as ``target`` says — straight to object storage where it is configured, else to
    ``PUT /uploads/{id}/data`` — and call ``POST /uploads/{id}/complete``. Scope: assets:write."""
    who = caller(request)
    upload, target = services.upload_start(
        org=who.org,
        user=who.key.created_by,
        filename=payload.filename,
        size=payload.size,
        content_type=payload.content_type,
    )
    if not storage.is_s3():
        target = {
            "method": "PUT",
            "url": reverse("api:upload_data", kwargs={"upload_id": upload.public_id}),
            "headers": {"Content-Type": "application/octet-stream"},
        }
    return Status(201, {"upload": upload_json(upload), "target": target})


@uploads_router.put(
    "{upload_id}/data", auth=scoped(Scope.ASSETS_WRITE), response={200: UploadOut, **ERRORS}, url_name="upload_data"
)
def upload_data(request: HttpRequest, upload_id: UUID):
    """Without object storage: the file's bytes, as the body (streamed to storage). Scope: assets:write."""
    who = caller(request)
    upload = selectors.upload_or_404(who.org, upload_id)
    length = request.META.get("CONTENT_LENGTH")
    services.upload_receive(upload=upload, stream=request, content_length=int(length) if length else None)
    return upload_json(upload)


@uploads_router.post(
    "{upload_id}/complete",
    auth=scoped(Scope.ASSETS_WRITE),
    response={200: UploadOut, **ERRORS},
    summary="The bytes are sent",
)
def upload_complete(request: HttpRequest, upload_id: UUID):
    """Checks the file arrived whole and queues processing. Scope: assets:write."""
    who = caller(request)
    return upload_json(services.upload_complete(upload=selectors.upload_or_404(who.org, upload_id)))


@uploads_router.get(
    "{upload_id}", auth=scoped(Scope.READ), response={200: UploadOut, **ERRORS}, summary="An upload's status"
)
def upload_status(request: HttpRequest, upload_id: UUID):
    """``done`` or ``duplicate`` carry the asset. Scope: read."""
    who = caller(request)
    return upload_json(Upload.objects.select_related("asset").get(pk=selectors.upload_or_404(who.org, upload_id).pk))


# --- Collections --------------------------------------------------------------------------------


class CollectionOut(Schema):
    id: UUID
    name: str
    description: str
    assets: int | None
    created_at: datetime


class CollectionIn(Schema):
    name: str = Field(max_length=80)
    description: str = Field("", max_length=300)


@collections_router.get(
    "", auth=scoped(Scope.READ), response={200: list[CollectionOut], **ERRORS}, summary="All collections"
)
def collection_list(request: HttpRequest):
    """Scope: read. An asset list of one collection: ``GET /assets?collection=<id>``."""
    who = caller(request)
    return [collection_json(c) for c in selectors.collections_for_org(who.org)]


@collections_router.post(
    "", auth=scoped(Scope.ASSETS_WRITE), response={201: CollectionOut, **ERRORS}, summary="Make a collection"
)
def collection_create(request: HttpRequest, payload: CollectionIn):
    """Scope: assets:write."""
    who = caller(request)
    collection = services.collection_create(
        org=who.org, user=who.key.created_by, name=payload.name, description=payload.description
    )
    return Status(201, collection_json(selectors.collections_for_org(who.org).get(pk=collection.pk)))


@collections_router.get(
    "{collection_id}", auth=scoped(Scope.READ), response={200: CollectionOut, **ERRORS}, summary="One collection"
)
def collection_get(request: HttpRequest, collection_id: UUID):
    """Scope: read."""
    who = caller(request)
    collection = selectors.collection_or_404(who.org, collection_id)
    return collection_json(selectors.collections_for_org(who.org).get(pk=collection.pk))


@collections_router.delete(
    "{collection_id}", auth=scoped(Scope.ASSETS_WRITE), response={204: None, **ERRORS}, summary="Delete a collection"
)
def collection_delete(request: HttpRequest, collection_id: UUID):
    """The collection goes; its assets stay in the library. Scope: assets:write."""
    who = caller(request)
    services.collection_delete(collection=selectors.collection_or_404(who.org, collection_id))
    return Status(204, None)
