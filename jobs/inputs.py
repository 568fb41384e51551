"""Resolvers for the input markers jobs put in provider calls (see ``providers.inputs``).

- ``{"$asset": public_id, "variant": "original" | "preview" | "edit" | …}``: a library item of the
  call's org. ``edit`` is the image as the library shows it at full resolution (orientation
  applied, sRGB, no transparency), made on first use: what every edit sends, because the mask was
  painted on that image.
- ``{"$key": storage_key}``: another file in the org's storage (a training zip, a LoRA, a mask).

Each becomes what the provider can fetch: a presigned S3/R2 URL, or a signed ``/media/p/`` URL on
the site's public https address (``storage.provider_url``); ``storage:<key>`` for the offline
demo provider, which reads our storage directly.

Files are never sent inline as data URIs, with one exception: xAI vision inputs (the 1024 px
previews captions and prompt drafts look at, ~100 KB) up to ``XAI_INLINE_MAX_BYTES``. xAI takes
data URIs up to 20 MiB, and inline it needn't fetch anything, so it works on a laptop without a
tunnel too. Anything else with no reachable URL fails the call with the setting to fix.
"""

from __future__ import annotations

import base64
import mimetypes

from assets import services, storage
from assets.models import Asset
from core.exceptions import DomainError
from orgs.models import Organization
from providers import inputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

# Far above a preview, far below xAI's 20 MiB limit (a data URI is a third larger again).
XAI_INLINE_MAX_BYTES = 2 * 1024 * 1024
XAI_INLINE_TYPES = ("image/jpeg", "image/png")

NO_PUBLIC_URL = (
    "The provider can't fetch our files: media is on this machine's disk and the site has no public "
    "https address. Set MEDIA_BUCKET (S3 or R2) or PROVIDER_PUBLIC_URL (e.g. a tunnel), then retry."
)


def asset_input(call: ProviderCall, marker: dict) -> str:
    variant = marker.get("variant", "original")
    asset = Asset.objects.filter(org_id=call.org_id, public_id=marker["$asset"]).select_related("org").first()
    if asset is None:
        raise ProviderError("The source image was deleted before the provider could read it.")
    if variant == services.EDIT_VARIANT:
        try:
            key = services.asset_edit_image(asset)
        except DomainError as exc:
            raise ProviderError(exc.message) from None
        return _stored_file_input(call, asset.org, key, "image/jpeg")
    key = asset.original_key if variant == "original" else asset.variants.get(variant, asset.original_key)
    return _stored_file_input(call, asset.org, key, asset.mime)


def key_input(call: ProviderCall, marker: dict) -> str:
    key = marker["$key"]
    org = Organization.objects.filter(pk=call.org_id).first() if call.org_id is not None else None
    if org is None or not storage.key_belongs_to(org, key):
        raise ProviderError("That file isn't in this organisation's storage.")
    if not storage.storage().exists(key):
        raise ProviderError("The file was deleted before the provider could read it.")
    return _stored_file_input(call, org, key, "application/octet-stream")


def _stored_file_input(call: ProviderCall, org: Organization, key: str, fallback_mime: str) -> str:
    if call.provider == "demo":
        return f"storage:{key}"
    mime = mimetypes.guess_type(key)[0] or fallback_mime
    if call.provider == "xai" and mime in XAI_INLINE_TYPES and storage.size(key) <= XAI_INLINE_MAX_BYTES:
        with storage.storage().open(key, "rb") as fh:
            return f"data:{mime};base64,{base64.b64encode(fh.read()).decode()}"
    url = storage.provider_url(org, key)
    if not url:
        raise ProviderError(NO_PUBLIC_URL)
    return url


def register() -> None:
    inputs.register("$asset", asset_input)
    inputs.register("$key", key_input)
