"""Resolvers for the input markers jobs put in provider calls (see ``providers.inputs``).

- ``{"$asset": public_id, "variant": "original" | "preview" | …}``: a library item of the call's org;
- ``{"$key": storage_key}``: another file in the org's storage (a training zip, a LoRA, a mask).

Each becomes what the provider can fetch: a presigned S3/R2 URL or a signed ``/media/p/`` URL on
``PROVIDER_PUBLIC_URL``, a data URI when there is no public URL (a laptop without a tunnel), or
``storage:<key>`` for the offline demo provider, which reads our storage directly.
"""

from __future__ import annotations

import base64
import mimetypes

from assets import storage
from assets.models import Asset
from orgs.models import Organization
from providers import inputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall


def asset_input(call: ProviderCall, marker: dict) -> str:
    variant = marker.get("variant", "original")
    asset = Asset.objects.filter(org_id=call.org_id, public_id=marker["$asset"]).select_related("org").first()
    if asset is None:
        raise ProviderError("The source image was deleted before the provider could read it.")
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
    url = storage.provider_url(org, key)
    if url:
        return url
    with storage.storage().open(key, "rb") as fh:
        data = fh.read()
    mime = mimetypes.guess_type(key)[0] or fallback_mime
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def register() -> None:
    inputs.register("$asset", asset_input)
    inputs.register("$key", key_input)
