"""What the browser extension calls beyond the library: import from URL (and its status), style
extraction of a saved image, the key's own organisation (the popup's badge) and disconnect."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.responses import Status

from api.auth import caller, scoped
from api.errors import ErrorOut
from api.keys import api_key_revoke
from api.models import Scope
from api.routers.jobs import IDEMPOTENCY, _key
from assets import selectors, services
from assets.models import MediaImport
from styles.services import style_extract

imports_router = Router(tags=["assets"])
extension_router = Router(tags=["extension"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 402: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


class ImportIn(Schema):
    media_url: str = Field("", max_length=2000, description="The picture's or video's own address (https).")
    page_url: str = Field("", max_length=2000, description="The post or pin it was saved from.")
    author: str = Field("", max_length=200)
    caption: str = Field("", max_length=5000)
    site: str = Field("web", description="pinterest, instagram or web")
    collection: UUID | None = Field(None, description="File the saved asset in this collection.")


class ImportOut(Schema):
    id: UUID
    status: str = Field(description="queued, fetching, done, duplicate (linked to the asset already there) or failed")
    error: str
    media_url: str
    page_url: str
    asset: UUID | None
    asset_url: str = Field(description="The asset's page in the app, once saved; '' before.")
    created_at: datetime


def import_json(item: MediaImport) -> dict:
    asset = item.asset if item.asset_id else None
    return {
        "id": item.public_id,
        "status": item.status,
        "error": item.error,
        "media_url": item.media_url,
        "page_url": item.page_url,
        "asset": asset.public_id if asset else None,
        "asset_url": reverse("assets:detail", args=[item.org.slug, asset.public_id]) if asset else "",
        "created_at": item.created_at,
    }


@imports_router.post(
    "import",
    auth=scoped(Scope.ASSETS_WRITE),
    response={202: ImportOut, 200: ImportOut, **ERRORS},
    summary="Import a picture or video from a URL",
)
def import_create(request: HttpRequest, response: HttpResponse, payload: ImportIn, idempotency_key: str = IDEMPOTENCY):
    """The server fetches ``media_url`` itself (allow-listed media hosts, public addresses, size and
    type checked; HLS videos assembled) into the library, keeping the page, author and caption.
    A file already in the library ends as ``duplicate`` with that asset. Poll
    ``GET /assets/import/{id}``. Scope: assets:write."""
    who = caller(request)
    collection = selectors.collection_or_404(who.org, payload.collection) if payload.collection else None
    item, replayed = services.import_start(
        org=who.org,
        user=who.key.created_by,
        media_url=payload.media_url,
        page_url=payload.page_url,
        author=payload.author,
        caption=payload.caption,
        site=payload.site,
        collection=collection,
        idempotency_key=_key(idempotency_key),
    )
    if replayed:
        response["Idempotent-Replayed"] = "true"
        return Status(200, import_json(item))
    return Status(202, import_json(item))


@imports_router.get(
    "import/{import_id}", auth=scoped(Scope.READ), response={200: ImportOut, **ERRORS}, summary="An import's status"
)
def import_status(request: HttpRequest, import_id: UUID):
    """``done`` or ``duplicate`` carry the asset. Scope: read."""
    who = caller(request)
    return import_json(selectors.media_import_or_404(who.org, import_id))


class StyleOut(Schema):
    id: UUID
    status: str
    url: str = Field(description="The style recipe's page in the app.")


@imports_router.post(
    "{asset_id}/style",
    auth=scoped(Scope.GENERATE),
    response={201: StyleOut, 200: StyleOut, **ERRORS},
    summary="Extract an image's style",
)
def style_create(request: HttpRequest, response: HttpResponse, asset_id: UUID, idempotency_key: str = IDEMPOTENCY):
    """A style recipe (pose, outfit, lighting, camera, composition, background, mood, palette) of a
    library image. Spends 1 credit. Scope: generate."""
    who = caller(request)
    asset = selectors.asset_or_404(who.org, asset_id)
    key = _key(idempotency_key)
    from jobs import engine
    from styles.models import StyleRecipe

    replayed = bool(key) and engine.job_by_key(StyleRecipe, who.org, key) is not None
    job = style_extract(org=who.org, user=who.key.created_by, asset=asset, key=key)
    body = {
        "id": job.public_id,
        "status": job.status,
        "url": reverse("styles:detail", args=[who.org.slug, job.public_id]),
    }
    if replayed:
        response["Idempotent-Replayed"] = "true"
        return Status(200, body)
    return Status(201, body)


class WhoAmIOut(Schema):
    org: str
    org_slug: str
    key_name: str
    key_prefix: str
    scopes: list[str]
    library_url: str


@extension_router.get("me", auth=scoped(Scope.READ), response={200: WhoAmIOut, **ERRORS}, summary="This key")
def whoami(request: HttpRequest):
    """The key's organisation and scopes (the extension's "connected" badge). Scope: read."""
    who = caller(request)
    return {
        "org": who.org.name,
        "org_slug": who.org.slug,
        "key_name": who.key.name,
        "key_prefix": who.key.prefix,
        "scopes": list(who.key.scopes),
        "library_url": reverse("assets:library", args=[who.org.slug]),
    }


@extension_router.post("disconnect", response={204: None, **ERRORS}, summary="Revoke this key")
def disconnect(request: HttpRequest):
    """Revokes the key that makes the request (the extension's Disconnect). Any scope."""
    who = caller(request)
    api_key_revoke(key=who.key, user=who.key.created_by, request=request)
    return Status(204, None)
