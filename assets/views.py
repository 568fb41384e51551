import uuid
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import selectors, services, storage
from assets.forms import BulkForm, CollectionForm, LibraryFilterForm, RenameForm, TagsForm, UploadStartForm
from assets.models import Asset, Export, Upload
from assets.serving import stored_file_response
from core.exceptions import DomainError
from core.htmx import render_page
from core.http import AuthenticatedHttpRequest, OrgHttpRequest
from core.refusals import refusals_as_messages
from orgs.decorators import org_view
from orgs.models import Membership, Role

# --- Grid --------------------------------------------------------------------------------------


def _grid(request: OrgHttpRequest, *, collection=None):
    form = LibraryFilterForm(request.GET or None)
    filters = form.filters()
    # What the person chose; being inside a collection isn't a filter they can clear.
    filtering = filters.active
    if collection is not None:
        filters.collection = str(collection.public_id)
    assets, next_cursor = selectors.asset_page(request.org, filters, request.GET.get("cursor", ""))
    page_only = bool(request.GET.get("cursor")) and request.htmx
    context = {
        "assets": assets,
        "next_cursor": next_cursor,
        "filters": filters,
        "filtering": filtering,
        "filter_form": form,
        "search_error": form.errors.get("q"),
        "collection": collection,
        "query_string": _query_without_cursor(request),
        "export_id": _uuid_or_none(request.GET.get("export", "")),
    }
    if page_only:
        return render(request, "assets/library.html#asset-page", context)
    context.update(
        {
            "usage": selectors.storage_usage(request.org),
            "tags": selectors.tags_for_org(request.org),
            "collections": selectors.collections_for_org(request.org),
            "bulk_form": BulkForm(),
            "has_any": collection is not None or Asset.objects.for_org(request.org).exists(),
        }
    )
    return render_page(request, "assets/library.html", context, partials=("asset-grid",))


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _query_without_cursor(request) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@require_GET
@org_view()
def library(request: OrgHttpRequest):
    return _grid(request)


@require_GET
@org_view()
def collection_detail(request: OrgHttpRequest, public_id):
    collection = selectors.collection_or_404(request.org, public_id)
    return _grid(request, collection=collection)


# --- Asset detail ------------------------------------------------------------------------------


@require_GET
@org_view()
def asset_detail(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    return render(
        request,
        "assets/detail.html",
        {
            "asset": asset,
            "origin": selectors.asset_origin(asset),
            "tags_text": ", ".join(t.name for t in asset.tags.all()),
            "collections": selectors.collections_for_org(request.org),
            "in_collections": {c.pk for c in asset.collections.all()},
        },
    )


def _detail_redirect(request: OrgHttpRequest, asset: Asset):
    return redirect("assets:detail", request.org.slug, asset.public_id)


@require_POST
@org_view(Role.MEMBER)
def asset_rename(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    form = RenameForm(request.POST)
    with refusals_as_messages(request):
        if not form.is_valid():
            raise DomainError("Give it a title (up to 200 characters).")
        services.asset_rename(asset=asset, title=form.cleaned_data["title"])
        messages.success(request, "Renamed.")
    return _detail_redirect(request, asset)


@require_POST
@org_view(Role.MEMBER)
def asset_tags(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    form = TagsForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("Tags can be up to 50 characters each.")
        tags = services.asset_set_tags(asset=asset, text=form.cleaned_data["tags"])
    except DomainError as e:
        messages.error(request, e.message)
        tags = list(asset.tags.all())
    if request.htmx:
        return render(
            request,
            "assets/detail.html#asset-tags",
            {"asset": asset, "tags": tags, "tags_text": ", ".join(t.name for t in tags)},
        )
    return _detail_redirect(request, asset)


@require_POST
@org_view(Role.MEMBER)
def asset_like(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    services.asset_set_liked(asset=asset, liked=request.POST.get("liked") == "1")
    if request.htmx:
        return render(request, "assets/detail.html#like-button", {"asset": asset})
    return _detail_redirect(request, asset)


@require_POST
@org_view(Role.MEMBER)
def asset_delete(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    services.asset_delete(asset=asset)
    messages.success(request, f"“{asset.title}” was deleted.")
    return redirect("assets:library", request.org.slug)


@require_POST
@org_view(Role.MEMBER)
def asset_collection_toggle(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    collection = selectors.collection_or_404(request.org, request.POST.get("collection"))
    if request.POST.get("add") == "1":
        services.collection_add(collection=collection, ids=[str(asset.public_id)])
        messages.success(request, f"Added to {collection.name}.")
    else:
        services.collection_remove(collection=collection, ids=[str(asset.public_id)])
        messages.success(request, f"Removed from {collection.name}.")
    return _detail_redirect(request, asset)


@require_GET
@org_view()
def asset_download(request: OrgHttpRequest, public_id):
    asset = selectors.asset_or_404(request.org, public_id)
    name = asset.original_filename or f"{asset.title}{PurePosixPath(asset.original_key).suffix}"
    return redirect(storage.signed_url(request.org, asset.original_key, download_name=name))


# --- Collections -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view()
def collections(request: OrgHttpRequest):
    form = CollectionForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can_create:
            messages.error(request, "Viewers can't create collections.")
            return redirect("assets:collections", request.org.slug)
        if form.is_valid():
            try:
                collection = services.collection_create(org=request.org, user=request.user, **form.cleaned_data)
            except DomainError as e:
                form.add_error(e.field, e.message)
            else:
                messages.success(request, f"Collection “{collection.name}” created.")
                return redirect("assets:collection", request.org.slug, collection.public_id)
    items = list(selectors.collections_for_org(request.org))
    return render(
        request,
        "assets/collections.html",
        {"collections": items, "covers": selectors.collection_covers(items), "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@org_view(Role.MEMBER)
def collection_update(request: OrgHttpRequest, public_id):
    collection = selectors.collection_or_404(request.org, public_id)
    form = CollectionForm(request.POST)
    with refusals_as_messages(request):
        if not form.is_valid():
            raise DomainError("Give the collection a name (up to 80 characters).")
        services.collection_update(collection=collection, **form.cleaned_data)
        messages.success(request, "Collection saved.")
    return redirect("assets:collection", request.org.slug, collection.public_id)


@require_POST
@org_view(Role.MEMBER)
def collection_delete(request: OrgHttpRequest, public_id):
    collection = selectors.collection_or_404(request.org, public_id)
    services.collection_delete(collection=collection)
    messages.success(request, f"Collection “{collection.name}” deleted; its images and videos stay in the library.")
    return redirect("assets:collections", request.org.slug)


# --- Bulk actions ------------------------------------------------------------------------------


@require_POST
@org_view()
def bulk(request: OrgHttpRequest):
    form = BulkForm(request.POST)
    back = request.POST.get("next") or ""
    # Only a path on this site: "//elsewhere.example/" also starts with a slash.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = reverse("assets:library", args=[request.org.slug])
    if not form.is_valid():
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        return redirect(back)
    action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
    if action != "download" and not request.membership.can_create:
        messages.error(request, "Viewers can browse and download, but not change the library.")
        return redirect(back)
    org = request.org
    with refusals_as_messages(request):
        if action == "download":
            export = services.export_create(org=org, user=request.user, ids=ids)
            messages.info(request, f"Building a zip of {len(export.asset_ids)} files…")
            return redirect(f"{back}{'&' if '?' in back else '?'}export={export.public_id}")
        if action == "tag":
            n = services.assets_bulk_tag(org=org, ids=ids, text=form.cleaned_data["tags"])
            messages.success(request, f"Tagged {n} item{'s' if n != 1 else ''}.")
        elif action in ("collect", "uncollect"):
            collection = selectors.collection_get(org, form.cleaned_data["collection"])
            if collection is None:
                raise DomainError("Choose a collection.")
            if action == "collect":
                n = services.collection_add(collection=collection, ids=ids)
                messages.success(request, f"Added {n} item{'s' if n != 1 else ''} to {collection.name}.")
            else:
                n = services.collection_remove(collection=collection, ids=ids)
                messages.success(request, f"Removed {n} item{'s' if n != 1 else ''} from {collection.name}.")
        elif action in ("like", "unlike"):
            n = services.assets_bulk_like(org=org, ids=ids, liked=action == "like")
            messages.success(request, f"{'Liked' if action == 'like' else 'Unliked'} {n} item{'s' if n != 1 else ''}.")
        elif action == "delete":
            n = services.assets_bulk_delete(org=org, ids=ids)
            messages.success(request, f"Deleted {n} item{'s' if n != 1 else ''}.")
    return redirect(back)


# --- Zip exports -------------------------------------------------------------------------------


@require_GET
@org_view()
def export_status(request: OrgHttpRequest, public_id):
    export = selectors.export_or_404(request.org, public_id)
    response = render(request, "assets/export.html", {"export": export})
    if export.status in (Export.Status.QUEUED, Export.Status.RUNNING) or not request.htmx:
        return response
    # Finished: HTMX swaps this last state in and stops polling (HTTP 286).
    return HttpResponseStopPolling(response.content)


@require_GET
@org_view()
def export_download(request: OrgHttpRequest, public_id):
    export = selectors.export_or_404(request.org, public_id)
    if export.status != Export.Status.READY:
        raise Http404
    name = f"{request.org.slug}-library-{export.created_at:%Y%m%d-%H%M}.zip"
    return redirect(storage.signed_url(request.org, export.key, download_name=name))


# --- Uploads (JSON, used by the uploader) -----------------------------------------------------


def _upload_json(request: OrgHttpRequest, upload: Upload, **extra) -> dict:
    data = {
        "id": str(upload.public_id),
        "status": upload.status,
        "status_label": upload.get_status_display(),
        "error": upload.error,
        "done": not upload.is_open,
    }
    if upload.asset is not None:
        data["asset_url"] = reverse("assets:detail", args=[request.org.slug, upload.asset.public_id])
        if upload.status == Upload.Status.DONE:
            # What cleaning took out of the original (trailing data, GPS, hidden scripts).
            data["cleaned"] = upload.asset.metadata.get("media", {}).get("cleaned", [])
    return {**data, **extra}


@require_POST
@org_view(Role.MEMBER)
def upload_start(request: OrgHttpRequest):
    form = UploadStartForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "The upload request was incomplete. Reload the page and try again."}, status=400)
    try:
        upload, target = services.upload_start(
            org=request.org,
            user=request.user,
            filename=form.cleaned_data["filename"],
            size=form.cleaned_data["size"],
            content_type=form.cleaned_data["content_type"] or "",
        )
    except DomainError as e:
        return JsonResponse({"error": e.text}, status=400)
    return JsonResponse(
        {
            **_upload_json(request, upload),
            "target": target,
            "complete_url": reverse("assets:upload_complete", args=[request.org.slug, upload.public_id]),
            "cancel_url": reverse("assets:upload_cancel", args=[request.org.slug, upload.public_id]),
            "status_url": reverse("assets:upload_status", args=[request.org.slug, upload.public_id]),
        },
        status=201,
    )


@require_http_methods(["PUT"])
@org_view(Role.MEMBER)
def upload_data(request: OrgHttpRequest, public_id):
    """Local storage only: the browser PUTs the file here, streamed to disk in chunks."""
    if storage.is_s3():
        raise Http404
    upload = selectors.upload_or_404(request.org, public_id)
    length = request.META.get("CONTENT_LENGTH")
    try:
        services.upload_receive(upload=upload, stream=request, content_length=int(length) if length else None)
    except DomainError as e:
        return JsonResponse({"error": e.text}, status=400)
    return JsonResponse({"ok": True})


@require_POST
@org_view(Role.MEMBER)
def upload_complete(request: OrgHttpRequest, public_id):
    upload = selectors.upload_or_404(request.org, public_id)
    try:
        upload = services.upload_complete(upload=upload)
    except DomainError as e:
        return JsonResponse({"error": e.text}, status=400)
    return JsonResponse(_upload_json(request, upload))


@require_POST
@org_view(Role.MEMBER)
def upload_cancel(request: OrgHttpRequest, public_id):
    upload = selectors.upload_or_404(request.org, public_id)
    services.upload_cancel(upload=upload)
    upload.refresh_from_db()
    return JsonResponse(_upload_json(request, upload))


@require_GET
@org_view(Role.MEMBER)
def upload_status(request: OrgHttpRequest, public_id):
    upload = selectors.upload_or_404(request.org, public_id)
    return JsonResponse(_upload_json(request, upload))


# --- Serving media (local storage) -------------------------------------------------------------


@require_GET
def media_serve(request: AuthenticatedHttpRequest, token: str):
    """Serve a file behind a signed, expiring URL, only to a member of the org that owns it.
    Byte ranges too: a video seeks without downloading everything before that point."""
    try:
        payload = storage.read_signed_token(token)
    except signing.BadSignature:
        raise Http404("This link has expired. Reload the page to get a fresh one.") from None
    key, org_public_id = payload["k"], payload["o"]
    membership = (
        Membership.objects.select_related("org").filter(user_id=request.user.pk, org__public_id=org_public_id).first()
    )
    if membership is None or not storage.key_belongs_to(membership.org, key):
        raise Http404
    response = stored_file_response(request, key)
    if payload.get("d"):
        response["Content-Disposition"] = storage.content_disposition(payload["d"])
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    return response


@login_not_required
@require_GET
def media_api(request, token: str):
    """Serve a file to a JSON API client behind a signed URL that expires like the app's own."""
    try:
        payload = storage.read_api_token(token)
    except signing.BadSignature:
        raise Http404("This link has expired. Ask the API for the item again to get a fresh one.") from None
    key = payload["k"]
    if not key.startswith(f"orgs/{payload['o']}/") or ".." in key:
        raise Http404
    response = stored_file_response(request, key)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    return response


@login_not_required
@require_GET
def media_provider(request, token: str):
    """Serve an input file to an AI provider behind a signed URL that expires after a few hours."""
    try:
        payload = storage.read_provider_token(token)
    except signing.BadSignature:
        raise Http404 from None
    key = payload["k"]
    if not key.startswith(f"orgs/{payload['o']}/") or ".." in key:
        raise Http404
    response = stored_file_response(request, key)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
